package com.pactcrm.connector.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs browser tests written for Node's test runner (playwright-core driving headless Chromium) from
 * {@code widget/}, with the running service's addresses in the environment, and hands back what they said.
 */
public final class NodeBrowserTests {

    public record Run(int exitCode, String output) {
    }

    private NodeBrowserTests() {
    }

    /** @param target a file or folder under {@code widget/}, e.g. {@code ui/test/} */
    public static Run run(String target, Map<String, String> env) throws IOException, InterruptedException {
        Path log = Files.createTempFile("browser-test", ".log");
        ProcessBuilder builder = new ProcessBuilder("node", "--test", "--test-reporter=tap", target)
                .directory(Path.of("widget").toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("browser tests did not finish in 10 minutes:\n" + Files.readString(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(process.exitValue(), output);
    }
}
