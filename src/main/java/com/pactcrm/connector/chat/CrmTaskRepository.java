package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface CrmTaskRepository extends GenericRepository<CrmTask, Long> {

    /** @return 1 when a task was opened, 0 when the entity already has an open one for the conversation */
    @Query("""
            INSERT IGNORE INTO crm_task (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id, state,
                open_key, due_at)
            VALUES (:installationId, :conversationId, :entityType, :entityId, 'OPEN',
                CONCAT(:conversationId, ':', :entityType, ':', :entityId), :dueAt)""")
    int open(long installationId, long conversationId, String entityType, String entityId, Instant dueAt);

    @Query("""
            SELECT * FROM crm_task WHERE installation_id = :installationId AND open_key = CONCAT(:conversationId, ':',
                :entityType, ':', :entityId)""")
    Optional<CrmTask> findOpen(long installationId, long conversationId, String entityType, String entityId);

    @Query("""
            SELECT * FROM crm_task WHERE installation_id = :installationId AND pact_conversation_id = :conversationId
              AND state = 'OPEN' FOR UPDATE""")
    List<CrmTask> lockOpen(long installationId, long conversationId);

    @Query("UPDATE crm_task SET state = 'CLOSED', open_key = NULL, closed_at = :at WHERE id = :id")
    void close(long id, Instant at);

    @Query("SELECT * FROM crm_task WHERE id = :id")
    Optional<CrmTask> find(long id);

    @Query("UPDATE crm_task SET crm_task_id = :crmTaskId WHERE id = :id")
    void setCrmTaskId(long id, String crmTaskId);
}
