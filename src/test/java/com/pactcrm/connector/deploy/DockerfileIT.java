package com.pactcrm.connector.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile, checked statically: no Docker engine runs on the build machines (hadolint is not
 * available either), so the image itself is never built by the suite. The entrypoint script is run.
 */
class DockerfileIT {

    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY$|^KEY$).*");

    /** One instruction per entry, continuation lines joined and comments dropped, as Docker reads them. */
    private static List<String[]> instructions() throws IOException {
        List<String[]> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("Dockerfile"))) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String[] parts = current.toString().split("\\s+", 2);
            result.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1] : ""});
            current.setLength(0);
        }
        return result;
    }

    /** The instructions after the last FROM: what the running image is made of. */
    private static List<String[]> finalStage(List<String[]> all) {
        int lastFrom = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i)[0].equals("FROM")) {
                lastFrom = i;
            }
        }
        return all.subList(lastFrom, all.size());
    }

    private static List<String> args(List<String[]> instructions, String keyword) {
        return instructions.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
    }

    @Test
    void buildsOnAJdkAndRunsOnAJre17() throws IOException {
        List<String> froms = args(instructions(), "FROM");
        assertEquals(2, froms.size(), "multi-stage: build and run");
        assertTrue(froms.get(0).matches("eclipse-temurin:17-jdk\\S* AS build"), froms.get(0));
        assertTrue(froms.get(1).matches("eclipse-temurin:17-jre\\S*"), froms.get(1));
        assertTrue(args(instructions(), "RUN").stream().anyMatch(r -> r.contains("./mvnw -B -DskipTests package")));
        assertTrue(args(finalStage(instructions()), "COPY").stream().anyMatch(c -> c.startsWith("--from=build")));
    }

    @Test
    void runsAsANumericNonRootUserWithAHealthCheckAndAContainerSizedHeap() throws IOException {
        List<String[]> stage = finalStage(instructions());
        List<String> users = args(stage, "USER");
        assertEquals(1, users.size());
        String uid = users.get(0).split(":")[0];
        assertTrue(uid.matches("\\d+") && Integer.parseInt(uid) > 0, "numeric and not root, so runAsNonRoot can check it: " + uid);
        List<String> healthChecks = args(stage, "HEALTHCHECK");
        assertEquals(1, healthChecks.size());
        assertTrue(healthChecks.get(0).contains("/health/liveness"), healthChecks.get(0));
        String env = String.join(" ", args(stage, "ENV"));
        assertTrue(env.matches(".*JAVA_TOOL_OPTIONS=\"[^\"]*-XX:MaxRAMPercentage=\\d+.*"), env);
        assertFalse(env.matches(".*-Xmx.*"), "a fixed heap would ignore the container limit");
        assertTrue(args(stage, "EXPOSE").contains("8080"));
        assertEquals(List.of("[\"/app/entrypoint.sh\"]"), args(stage, "ENTRYPOINT"));
    }

    @Test
    void bakesNoSecretIntoTheImage() throws IOException {
        List<String[]> all = instructions();
        List<String> names = new ArrayList<>();
        for (String arg : args(all, "ARG")) {
            names.add(arg.split("=", 2)[0]);
        }
        for (String env : args(all, "ENV")) {
            Matcher m = Pattern.compile("(?:^|\\s)([A-Za-z_][A-Za-z0-9_]*)=").matcher(env);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        assertTrue(names.contains("JAVA_TOOL_OPTIONS"), "the parser sees the ENV names: " + names);
        for (String name : names) {
            assertFalse(SECRET_NAME.matcher(name).matches(), "secret-looking ARG/ENV: " + name);
        }
        // ./data holds the dev encryption key and the embedded database: excluded from the context, never copied.
        List<String> ignore = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertEquals("*", ignore.get(0), "everything is excluded unless listed");
        for (String line : ignore) {
            assertFalse(line.matches("!/?(data|target|\\.git)(/.*)?"), ".dockerignore lets in " + line);
        }
        for (String copy : args(all, "COPY")) {
            if (copy.startsWith("--from=")) {
                continue;
            }
            List<String> words = new ArrayList<>(Arrays.asList(copy.split("\\s+")));
            words.removeIf(w -> w.startsWith("--"));
            for (String source : words.subList(0, words.size() - 1)) {
                String top = source.replaceAll("/$", "").split("/")[0];
                assertFalse(top.equals("data") || top.equals("."), "COPY " + copy);
                assertTrue(ignore.contains("!" + source.replaceAll("/$", "")) || ignore.contains("!" + top),
                        source + " is copied but excluded by .dockerignore");
            }
        }
    }

    @Test
    void entrypointRefusesTheEmbeddedDatabaseAndTheGeneratedDevKey() throws Exception {
        assertRefused(Map.of(), "DATASOURCES_DEFAULT_URL CONNECTOR_ENCRYPTION_KEY");
        assertRefused(Map.of("DATASOURCES_DEFAULT_URL", "jdbc:mysql://db:3306/connector"), "CONNECTOR_ENCRYPTION_KEY");
        assertRefused(Map.of("CONNECTOR_ENCRYPTION_KEY", "CHANGE_ME"), "DATASOURCES_DEFAULT_URL");
    }

    private static void assertRefused(Map<String, String> env, String missing) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", "docker/entrypoint.sh").redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("DATASOURCES_") || k.startsWith("CONNECTOR_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(64, process.exitValue(), output);
        assertTrue(output.contains("set " + missing + " "), output);
    }
}
