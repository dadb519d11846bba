package com.pactcrm.connector.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with the real tool, {@code kubectl kustomize} (kustomize v5 built into kubectl),
 * so the checks see exactly what {@code kubectl apply -k} would send. {@code KUBECTL} names the binary;
 * otherwise the one on the PATH.
 */
final class KubectlKustomize {

    private static final String KUBECTL = Objects.requireNonNullElse(System.getenv("KUBECTL"), "kubectl");
    private static final boolean AVAILABLE = probe();

    private KubectlKustomize() {
    }

    static boolean available() {
        return AVAILABLE;
    }

    /** What {@code kubectl kustomize dir} prints; fails with kubectl's own error when it refuses the kustomization. */
    static String render(Path dir) {
        Result result = run(KUBECTL, "kustomize", dir.toString());
        if (result.exitCode != 0) {
            throw new IllegalStateException("kubectl kustomize " + dir + " exited " + result.exitCode + ": " + result.stderr);
        }
        return result.stdout;
    }

    private static boolean probe() {
        try {
            return run(KUBECTL, "version", "--client").exitCode == 0;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            // Manifests are small: reading stdout to the end before stderr cannot fill stderr's pipe.
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
            }
            return new Result(process.exitValue(), stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
