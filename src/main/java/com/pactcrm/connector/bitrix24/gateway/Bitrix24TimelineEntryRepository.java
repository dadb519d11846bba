package com.pactcrm.connector.bitrix24.gateway;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Collection;
import java.util.List;

/**
 * Ids of the comments the connector wrote, so their ONCRMTIMELINECOMMENTADD echo is ignored and a lookup after a lost
 * answer does not take another entry's comment for its own.
 */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface Bitrix24TimelineEntryRepository extends GenericRepository<Bitrix24TimelineEntry, Long> {

    @Query("INSERT IGNORE INTO bitrix24_timeline_entry (installation_id, entry_id) VALUES (:installationId, :entryId)")
    void remember(long installationId, String entryId);

    @Query("SELECT COUNT(*) FROM bitrix24_timeline_entry WHERE installation_id = :installationId AND entry_id = :entryId")
    long countOwn(long installationId, String entryId);

    /** Which of {@code entryIds} the connector knows as written (by an answered add, or found by a lookup). */
    @Query("SELECT entry_id FROM bitrix24_timeline_entry WHERE installation_id = :installationId AND entry_id IN (:entryIds)")
    List<String> findOwn(long installationId, Collection<String> entryIds);
}
