package com.pactcrm.connector.sync.journal;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/** The admin's sync journal: one compact row per thing that happened to an event or command. */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface SyncLogRepository extends GenericRepository<SyncLogEntry, Long> {

    @Query("""
            INSERT INTO sync_log (installation_id, kind, inbound_event_id, outbox_command_id, pact_conversation_id,
                phone, outcome, detail)
            VALUES (:installationId, :kind, :inboundEventId, :outboxCommandId, :pactConversationId, :phone, :outcome,
                LEFT(:detail, 1000))""")
    void record(long installationId, String kind, @Nullable Long inboundEventId, @Nullable Long outboxCommandId, @Nullable Long pactConversationId,
                @Nullable String phone, String outcome, @Nullable String detail);

    @Query("""
            SELECT * FROM sync_log WHERE installation_id = :installationId
            ORDER BY id DESC LIMIT :limit""")
    List<SyncLogEntry> latest(long installationId, int limit);
}
