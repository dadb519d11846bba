package com.pactcrm.connector.database;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * Settings of the embedded MariaDB that runs when no {@code datasources.default.url} is configured.
 *
 * @param dataDir            where the server keeps its files (kept across restarts)
 * @param port               TCP port on 127.0.0.1; 0 picks a free one
 * @param database           schema the service uses
 * @param sharedPerJvm       keep one server for the whole JVM (the test suite) instead of one per context
 * @param databasePerContext give every application context its own schema (isolates test classes)
 */
@ConfigurationProperties("connector.embedded-db")
public record EmbeddedDatabaseConfiguration(
        @Bindable(defaultValue = "./data/db") String dataDir,
        @Bindable(defaultValue = "0") int port,
        @Bindable(defaultValue = "connector") String database,
        @Bindable(defaultValue = "false") boolean sharedPerJvm,
        @Bindable(defaultValue = "false") boolean databasePerContext) {
}
