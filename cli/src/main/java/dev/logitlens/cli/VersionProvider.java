package dev.logitlens.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version of logitlens from the jar's manifest. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = LogitLensCli.class.getPackage().getImplementationVersion();
        return new String[] {"logitlens " + (version == null ? "(development build)" : version)};
    }
}
