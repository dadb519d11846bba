package com.pactcrm.connector.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero-setup default: with no {@code datasources.default.url}, the service runs on an embedded
 * MariaDB (a real MySQL-compatible server, so SQL, locks and {@code SKIP LOCKED} behave as in
 * production). With a URL, Micronaut's Hikari data source for MySQL 8 is used instead.
 */
@Factory
@Requires(missingProperty = "datasources.default.url")
class EmbeddedDataSourceFactory {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDataSourceFactory.class);
    private static final AtomicInteger CONTEXTS = new AtomicInteger();

    private final EmbeddedDatabaseConfiguration configuration;
    private HikariDataSource pool;
    private EmbeddedMariaDbServer server;

    EmbeddedDataSourceFactory(EmbeddedDatabaseConfiguration configuration) {
        this.configuration = configuration;
    }

    @Singleton
    @Named("default")
    DataSource dataSource() {
        server = EmbeddedMariaDbServer.startOrReuse(configuration.dataDir(), configuration.port());
        String database = configuration.databasePerContext()
                ? configuration.database() + "_" + ProcessHandle.current().pid() + "_" + CONTEXTS.incrementAndGet()
                : configuration.database();
        server.createDatabase(database);
        LOG.warn("event=embedded_db_in_use database={} url={} hint=\"set datasources.default.url to use a MySQL 8 server\"",
                database, server.jdbcUrl(database));
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(server.jdbcUrl(database));
        hikari.setUsername("root");
        hikari.setPassword("");
        hikari.setMaximumPoolSize(20);
        hikari.setPoolName("embedded-" + database);
        pool = new HikariDataSource(hikari);
        return pool;
    }

    /** Closes the pool, and stops the server unless the whole JVM shares it (the test suite). */
    @PreDestroy
    void close() {
        if (pool != null) {
            pool.close();
        }
        if (server != null && !configuration.sharedPerJvm()) {
            server.stop();
        }
    }
}
