package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.view.LensView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code logitlens serve}: the model opened once, and a page on a local HTTP server ({@link LensServer}) where each text
 * typed costs only its lens. Runs until Ctrl-C (or SIGTERM), which stops the server and closes the model.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Open the model once and serve an interactive page of its lens on a local HTTP server: type a text,"
                + " switch the view (logit, prob, rank, KL; compared with the final layer or the input) without reloading,"
                + " hover a cell for its top-k, click to pin it, download the CSV. Runs until Ctrl-C.")
final class ServeCommand implements Callable<Integer> {

    /** The port when none is given. */
    static final int DEFAULT_PORT = 8765;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only). Any other address lets"
                    + " whoever can reach it run the model, so serve then warns.")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "The port to listen on, 1 to 65535, or 0 for any free port (default: ${DEFAULT-VALUE});"
                    + " the page's address is printed when it is ready.")
    int port = DEFAULT_PORT;

    @Option(names = {"-k", "--top-k", "--topk"}, paramLabel = "K",
            description = "Tokens listed when hovering a cell, and per row of the CSV (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = "--kl-max", paramLabel = "NATS",
            description = "KL at which the KL view's colour saturates, nats (default: ${DEFAULT-VALUE}, as in the post).")
    double klMax = LensView.DEFAULT_KL_MAX;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port " + port + ": use 1 to 65535, or 0 for any free port");
        }
        TopK.requirePositive(spec, topK);
        ViewOptions.viewSpec(spec, LensView.Kind.KL, LensView.Reference.FINAL, klMax); // refuses a bad --kl-max
        InetAddress address = address(spec, host);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LensModel model = LensModel.open(modelOptions.modelPath(), kernelOptions.settings(modelOptions));
        LensServer server;
        try {
            int k = TopK.check(spec, topK, model.config().nVocab());
            server = bind(new InetSocketAddress(address, port), model, k, err);
        } catch (RuntimeException | IOException e) {
            model.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("logitlens-serve-stop").unstarted(() -> {
            server.close();
            model.close(); // waits for a lens still running
            out.println("stopped");
            out.flush();
            stopped.countDown();
        }));
        if (!address.isLoopbackAddress()) {
            err.println("logitlens serve: warning: listening on " + TerminalText.escape(host) + ", not on this machine's"
                    + " loopback address: anyone who can reach it can run the model and read what is typed");
            err.flush();
        }
        server.start();
        out.println("serving the lens of " + TerminalText.escape(modelOptions.displayName(null)) + " at " + server.uri()
                + "  (Ctrl-C stops)");
        out.flush();
        stopped.await(); // the shutdown hook counts down; the JVM ends with it
        return 0;
    }

    private LensServer bind(InetSocketAddress socket, LensModel model, int k, PrintWriter err) throws IOException {
        try {
            return new LensServer(socket, modelOptions.displayName(null), model.config(), k, klMax,
                    LensServer.lensOf(model, LensOptions.defaults().withTopK(k)), err);
        } catch (BindException e) {
            throw new IOException("cannot listen on " + TerminalText.escape(host) + " port " + port + ": " + e.getMessage()
                    + (port != 0 ? " (is another server using it? --port 0 takes any free port)" : ""), e);
        }
    }

    /** {@code --host} as an address; a usage error when it names none. */
    private static InetAddress address(CommandSpec spec, String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException | SecurityException e) {
            throw new ParameterException(spec.commandLine(), "--host " + TerminalText.escape(host) + ": not an address of this machine"
                    + " (use 127.0.0.1, localhost, or an interface's address)");
        }
    }
}
