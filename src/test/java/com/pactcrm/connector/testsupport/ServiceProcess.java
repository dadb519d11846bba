package com.pactcrm.connector.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The connector as a separate operating-system process (its real {@code main}), so a test can kill
 * it with SIGKILL half-way through its work and start it again.
 */
public final class ServiceProcess {

    private final Process process;
    private final int port;

    private ServiceProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * The properties every separate service process of a test needs: the test's own database (the embedded
     * server, as root), the test encryption key so it reads what the test wrote, short leases; plus {@code more}.
     */
    public static Map<String, String> onDatabase(String jdbcUrl, Map<String, String> more) {
        Map<String, String> properties = onDatabaseWithProductionTimings(jdbcUrl, Map.of());
        // A successor takes over within seconds, not the production ttl (20 s).
        properties.put("connector.lease.ttl", "4s");
        properties.put("connector.lease.renew-every", "500ms");
        // These tests count journal rows exactly; the catch-up (PactCatchUpIT) would add the fakes' own conversations.
        properties.put("connector.reconciliation.enabled", "false");
        properties.putAll(more);
        return properties;
    }

    /**
     * Only what a process needs to work on the caller's database (the embedded server, as root, and the test
     * encryption key so it reads what the caller wrote), plus {@code more}: every timing stays the production
     * default, for measurements that must see what production would.
     */
    public static Map<String, String> onDatabaseWithProductionTimings(String jdbcUrl, Map<String, String> more) {
        Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("datasources.default.url", jdbcUrl);
        properties.put("datasources.default.username", "root");
        properties.put("connector.encryption-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        properties.putAll(more);
        return properties;
    }

    public static ServiceProcess start(String name, Map<String, String> properties) {
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx512m");
        command.add("-Duser.timezone=UTC");
        command.add("-Dmicronaut.server.port=" + port);
        // Extra JVM options for the service only, e.g. a flight recording of a benchmark's run.
        String extra = System.getenv("SERVICE_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(Arrays.asList(extra.trim().split("\\s+")));
        }
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-cp");
        command.add(classPath());
        command.add("com.pactcrm.connector.Application");
        File log = new File("target/" + name + ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                    .start();
            ServiceProcess service = new ServiceProcess(process, port);
            service.awaitHealthy(Duration.ofSeconds(90), log);
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** SIGKILL: no shutdown hook, no graceful release of anything. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM: the graceful path. @return the exit code */
    public int terminate(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the service did not stop within " + within);
        }
        return process.exitValue();
    }

    /** Cleanup after a test, whatever state the process is in: SIGTERM, then SIGKILL if it lingers. */
    public void stopQuietly() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                kill9();
            }
        }
    }

    private void awaitHealthy(Duration timeout, File log) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited with " + process.exitValue() + "; see " + log);
            }
            try {
                if (Http.get(baseUrl() + "/health").statusCode() == 200) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // not listening yet
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the service was not healthy within " + timeout + "; see " + log);
    }

    /**
     * The caller's class path. Surefire runs tests on the JVM's own; {@code exec:java} (the benchmarks) runs them
     * in a class loader of its own and leaves {@code java.class.path} to Maven's launcher.
     */
    private static String classPath() {
        if (ServiceProcess.class.getClassLoader() instanceof URLClassLoader loader) {
            return Arrays.stream(loader.getURLs()).map(ServiceProcess::file).collect(Collectors.joining(File.pathSeparator));
        }
        return System.getProperty("java.class.path");
    }

    private static String file(URL url) {
        try {
            return new File(url.toURI()).getPath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(url.toString(), e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
