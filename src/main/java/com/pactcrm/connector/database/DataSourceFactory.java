package com.pactcrm.connector.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.EachBean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.data.jdbc.config.DataJdbcConfiguration;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's connection pool. With {@code datasources.default.url} set it connects to that MySQL 8
 * server; without it, zero-setup default, it starts an embedded MariaDB (a real MySQL-compatible
 * server, so SQL, locks and {@code SKIP LOCKED} behave as in production) with its data in
 * {@code connector.embedded-db.data-dir}. The pool is built per Micronaut Data JDBC configuration, so
 * the repositories find it under the same name.
 */
@Factory
class DataSourceFactory {

    private static final Logger LOG = LoggerFactory.getLogger(DataSourceFactory.class);
    private static final AtomicInteger CONTEXTS = new AtomicInteger();

    private final Environment environment;
    private final EmbeddedDatabaseConfiguration embedded;
    private final List<HikariDataSource> pools = new ArrayList<>();
    private final List<EmbeddedMariaDbServer> servers = new ArrayList<>();

    DataSourceFactory(Environment environment, EmbeddedDatabaseConfiguration embedded) {
        this.environment = environment;
        this.embedded = embedded;
    }

    @EachBean(DataJdbcConfiguration.class)
    DataSource dataSource(DataJdbcConfiguration jdbc) {
        String prefix = "datasources." + jdbc.getName() + ".";
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("connector-" + jdbc.getName());
        hikari.setMaximumPoolSize(environment.getProperty(prefix + "maximum-pool-size", Integer.class).orElse(20));
        String url = environment.getProperty(prefix + "url", String.class).orElse(null);
        if (url != null && !url.isBlank()) {
            hikari.setJdbcUrl(url);
            environment.getProperty(prefix + "username", String.class).ifPresent(hikari::setUsername);
            environment.getProperty(prefix + "password", String.class).ifPresent(hikari::setPassword);
            LOG.info("event=database_configured url={}", url.replaceAll("password=[^&]*", "password=****"));
        } else {
            startEmbedded(hikari);
        }
        // No gap locks: the journal's claim (SKIP LOCKED over an index range) and the receivers'
        // inserts into that range deadlocked under REPEATABLE READ. Nothing here needs repeatable reads.
        hikari.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        // Connector/J parses every statement client-side unless told to keep them.
        hikari.addDataSourceProperty("cachePrepStmts", "true");
        hikari.addDataSourceProperty("prepStmtCacheSize", "250");
        hikari.addDataSourceProperty("prepStmtCacheSqlLimit", "2048");
        HikariDataSource pool = new HikariDataSource(hikari);
        pools.add(pool);
        return pool;
    }

    private void startEmbedded(HikariConfig hikari) {
        EmbeddedMariaDbServer server = EmbeddedMariaDbServer.startOrReuse(embedded.dataDir(), embedded.port());
        server.retain();
        servers.add(server);
        String database = embedded.databasePerContext()
                ? embedded.database() + "_" + ProcessHandle.current().pid() + "_" + CONTEXTS.incrementAndGet()
                : embedded.database();
        server.createDatabase(database);
        LOG.warn("event=embedded_db_in_use database={} url={} hint=\"set datasources.default.url to use a MySQL 8 server\"",
                database, server.jdbcUrl(database));
        hikari.setJdbcUrl(server.jdbcUrl(database));
        hikari.setUsername("root");
        hikari.setPassword("");
    }

    /** Closes the pools, and stops the embedded server unless the whole JVM shares it (the test suite). */
    @PreDestroy
    void close() {
        pools.forEach(HikariDataSource::close);
        if (!embedded.sharedPerJvm()) {
            servers.forEach(EmbeddedMariaDbServer::stop);
        }
        servers.forEach(EmbeddedMariaDbServer::release);
    }
}
