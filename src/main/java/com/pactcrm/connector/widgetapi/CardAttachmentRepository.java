package com.pactcrm.connector.widgetapi;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Optional;

/** {@code card_attachment}: files uploaded to Pact from an installation's cards, so a reply names only its own. */
@JdbcRepository(dialect = Dialect.MYSQL)
interface CardAttachmentRepository extends GenericRepository<CardAttachmentRepository.CardAttachment, Long> {

    @MappedEntity("card_attachment")
    record CardAttachment(@Id long installationId, long pactAttachmentId, @Nullable String name, @Nullable String mimeType,
                          @Nullable Long size, @Nullable String crmUserId) {
    }

    @Query("""
            INSERT IGNORE INTO card_attachment (installation_id, pact_attachment_id, name, mime_type, size, crm_user_id)
            VALUES (:installationId, :pactAttachmentId, LEFT(:name, 255), :mimeType, :size, :crmUserId)""")
    void add(long installationId, long pactAttachmentId, @Nullable String name, @Nullable String mimeType,
             @Nullable Long size, @Nullable String crmUserId);

    @Query("""
            SELECT * FROM card_attachment WHERE installation_id = :installationId AND pact_attachment_id = :pactAttachmentId""")
    Optional<CardAttachment> find(long installationId, long pactAttachmentId);
}
