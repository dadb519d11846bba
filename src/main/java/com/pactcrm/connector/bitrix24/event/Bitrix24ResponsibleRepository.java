package com.pactcrm.connector.bitrix24.event;

import com.pactcrm.connector.chat.ConversationLink;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

/**
 * The responsible user last seen on a linked entity ({@code conversation_link.crm_responsible_id}): Bitrix24
 * has no "responsible changed" event, so each UPDATE is compared with it (bitrix24.md §3.6, §8.1 item 8).
 */
@JdbcRepository(dialect = Dialect.MYSQL)
interface Bitrix24ResponsibleRepository extends GenericRepository<ConversationLink, Long> {

    @Query("""
            UPDATE conversation_link SET crm_responsible_id = :responsibleId
            WHERE installation_id = :installationId AND crm_entity_type = :entityType AND crm_entity_id = :entityId""")
    int remember(long installationId, String entityType, String entityId, String responsibleId);
}
