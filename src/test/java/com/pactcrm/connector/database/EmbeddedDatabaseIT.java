package com.pactcrm.connector.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.TestSql;
import com.zaxxer.hikari.HikariDataSource;
import io.micronaut.context.annotation.Property;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
// A Hikari setting the connector does not set itself: any datasources.default.* key reaches the pool.
@Property(name = "datasources.default.connection-timeout", value = "7000")
class EmbeddedDatabaseIT {

    @Inject
    TestSql sql;

    @Inject
    DataSource dataSource;

    @Test
    void flywayCreatesEveryTableOnTheEmbeddedMariaDb() {
        Set<String> tables = sql.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()")
                .stream().map(r -> r.get("t").toString().toLowerCase()).collect(Collectors.toSet());
        assertTrue(tables.containsAll(Set.of("installation", "conversation_link", "message_link", "user_mapping",
                "inbound_event", "outbox_command", "installation_lease", "sync_log")), tables.toString());
    }

    @Test
    void serverIsMariaDbWithSkipLocked() {
        assertTrue(sql.queryOne("SELECT VERSION() AS v").get("v").toString().contains("MariaDB"));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event FOR UPDATE SKIP LOCKED"));
    }

    @Test
    void thePoolHasTheConnectorsSettingsAndAnyOtherHikariSettingConfigured() {
        HikariDataSource pool = (HikariDataSource) DelegatingDataSource.unwrapDataSource(dataSource);
        assertEquals("connector-default", pool.getPoolName());
        assertEquals(20, pool.getMaximumPoolSize());
        assertEquals(7000, pool.getConnectionTimeout());
        assertEquals("true", pool.getDataSourceProperties().get("cachePrepStmts").toString());
        assertEquals("READ-COMMITTED", sql.queryOne("SELECT @@SESSION.tx_isolation AS i").get("i").toString());
    }
}
