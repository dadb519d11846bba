package com.pactcrm.connector.quickreply;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface QuickReplyTemplateRepository extends CrudRepository<QuickReplyTemplate, Long> {

    @Query("SELECT * FROM quick_reply_template WHERE installation_id = :installationId ORDER BY position, id")
    List<QuickReplyTemplate> findByInstallation(long installationId);

    @Query("SELECT * FROM quick_reply_template WHERE id = :id AND installation_id = :installationId")
    Optional<QuickReplyTemplate> find(long installationId, long id);

    @Query("DELETE FROM quick_reply_template WHERE id = :id AND installation_id = :installationId")
    int delete(long installationId, long id);
}
