package com.pactcrm.connector.database;

import io.micronaut.configuration.jdbc.hikari.DatasourceConfiguration;
import io.micronaut.configuration.jdbc.hikari.DatasourceFactory;
import io.micronaut.context.event.BeanDestroyedEvent;
import io.micronaut.context.event.BeanDestroyedEventListener;
import io.micronaut.context.event.BeanInitializedEventListener;
import io.micronaut.context.event.BeanInitializingEvent;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-setup default: a data source without {@code datasources.<name>.url} gets an embedded MariaDB (a real
 * MySQL-compatible server, so SQL, locks and {@code SKIP LOCKED} behave as in production) with its data in
 * {@code connector.embedded-db.data-dir}. Every other {@code datasources.*} setting is Micronaut's Hikari
 * configuration, pool and Flyway included.
 */
@Singleton
class EmbeddedDatabaseStarter implements BeanInitializedEventListener<DatasourceConfiguration>,
        BeanDestroyedEventListener<DatasourceFactory> {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabaseStarter.class);
    private static final AtomicInteger CONTEXTS = new AtomicInteger();

    private final EmbeddedDatabaseConfiguration embedded;
    private final List<EmbeddedMariaDbServer> servers = new ArrayList<>();

    EmbeddedDatabaseStarter(EmbeddedDatabaseConfiguration embedded) {
        this.embedded = embedded;
    }

    /**
     * Runs before the configuration's @PostConstruct, which fails without a URL, and so before the pool exists and
     * Flyway migrates through it.
     */
    @Override
    public DatasourceConfiguration onInitialized(BeanInitializingEvent<DatasourceConfiguration> event) {
        DatasourceConfiguration configuration = event.getBean();
        String url = configuration.getConfiguredUrl();
        if (url != null && !url.isBlank()) {
            LOG.info("event=database_configured url={}", url.replaceAll("password=[^&]*", "password=****"));
            return configuration;
        }
        EmbeddedMariaDbServer server = EmbeddedMariaDbServer.startOrReuse(embedded.dataDir(), embedded.port());
        server.retain();
        servers.add(server);
        String database = embedded.databasePerContext()
                ? embedded.database() + "_" + ProcessHandle.current().pid() + "_" + CONTEXTS.incrementAndGet()
                : embedded.database();
        server.createDatabase(database);
        LOG.warn("event=embedded_db_in_use database={} url={} hint=\"set datasources.default.url to use a MySQL 8 server\"",
                database, server.jdbcUrl(database));
        configuration.setUrl(server.jdbcUrl(database));
        configuration.setUsername("root");
        configuration.setPassword("");
        return configuration;
    }

    /**
     * Micronaut's factory has closed the pools: stop the embedded server unless the whole JVM shares it (the test
     * suite). Until then the service drains and gives its claims and leases back through the pool.
     */
    @Override
    public void onDestroyed(BeanDestroyedEvent<DatasourceFactory> event) {
        if (!embedded.sharedPerJvm()) {
            servers.forEach(EmbeddedMariaDbServer::stop);
        }
        servers.forEach(EmbeddedMariaDbServer::release);
        servers.clear();
    }
}
