package com.pactcrm.connector.installation;

import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface InstallationRepository extends CrudRepository<Installation, Long> {

    Optional<Installation> findByPactHookKey(String pactHookKey);

    Optional<Installation> findByHookKey(String hookKey);

    Optional<Installation> findByCrmAndCrmAccountId(CrmKind crm, String crmAccountId);
}
