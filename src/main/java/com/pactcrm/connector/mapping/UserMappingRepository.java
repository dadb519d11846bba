package com.pactcrm.connector.mapping;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface UserMappingRepository extends GenericRepository<UserMapping, Long> {

    @Query("SELECT * FROM user_mapping WHERE installation_id = :installationId AND crm_user_id = :crmUserId")
    Optional<UserMapping> findByCrmUser(long installationId, String crmUserId);

    @Query("SELECT * FROM user_mapping WHERE installation_id = :installationId ORDER BY crm_user_name, crm_user_id")
    List<UserMapping> findByInstallation(long installationId);

    @Query("DELETE FROM user_mapping WHERE installation_id = :installationId AND crm_user_id = :crmUserId")
    int delete(long installationId, String crmUserId);

    @Query("""
            INSERT INTO user_mapping (installation_id, crm_user_id, crm_user_name, pact_user_id, pact_user_name, source)
            VALUES (:installationId, :crmUserId, :crmUserName, :pactUserId, :pactUserName, :source)
            ON DUPLICATE KEY UPDATE crm_user_name = VALUES(crm_user_name), pact_user_id = VALUES(pact_user_id),
                pact_user_name = VALUES(pact_user_name), source = VALUES(source)""")
    void save(long installationId, String crmUserId, @Nullable String crmUserName, @Nullable Long pactUserId,
              @Nullable String pactUserName, String source);
}
