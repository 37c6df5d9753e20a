package dev.logitlens.cli;

import dev.logitlens.hub.HubModels;
import dev.logitlens.hub.HubOptions;
import dev.logitlens.hub.HubRepo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code logitlens download}: models by name into the Hugging Face cache, for later use offline. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Download models into the Hugging Face cache (config.json + model.safetensors).",
                "As huggingface_hub would: resumable, checked against the hub's sha256, shared with the Python tools."
                        + " Prints each model's snapshot folder, which --model also accepts. A model already in the"
                        + " cache is not fetched again."},
        footerHeading = "%nEnvironment:%n",
        footer = {"HF_HOME, HF_HUB_CACHE: where the cache is (default: ~/.cache/huggingface/hub).",
                "HF_ENDPOINT: the hub (default: https://huggingface.co).",
                "HF_TOKEN: an access token, for private and gated repos.",
                "HF_HUB_OFFLINE=1: never use the network."})
final class DownloadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "NAME",
            description = "gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, or a hub repo ORG/NAME[@REVISION].")
    List<String> names;

    @Option(names = "--revision", paramLabel = "REV",
            description = "The branch, tag or commit for names without @REVISION (default: ${DEFAULT-VALUE}).")
    String revision = HubRepo.DEFAULT_REVISION;

    @Override
    public Integer call() throws Exception {
        List<HubRepo> repos = new ArrayList<>();
        for (String name : names) {
            repos.add(parse(name));
        }
        HubOptions options = ModelOptions.hubOptions(spec);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (HubRepo repo : repos) {
            Optional<Path> cached = HubModels.lookup(repo, options);
            Path snapshot;
            if (cached.isPresent()) {
                err.println(repo.displayName() + ": already in the cache");
                snapshot = cached.get();
            } else {
                ModelOptions.DownloadLine progress = new ModelOptions.DownloadLine(err);
                try {
                    snapshot = HubModels.resolve(repo, options, progress);
                } finally {
                    progress.finish();
                }
                err.println(repo.displayName() + ": downloaded");
            }
            err.flush();
            out.println(snapshot);
            out.flush();
        }
        return 0;
    }

    private HubRepo parse(String name) {
        if (name.contains("@") && !revision.equals(HubRepo.DEFAULT_REVISION)) {
            throw new ParameterException(spec.commandLine(), "'" + name + "' names a revision; --revision " + revision + " would contradict it");
        }
        try {
            return HubRepo.parse(name, revision);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
