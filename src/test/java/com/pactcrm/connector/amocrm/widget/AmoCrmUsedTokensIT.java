package com.pactcrm.connector.amocrm.widget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
class AmoCrmUsedTokensIT {

    @Inject
    AmoCrmUsedTokens usedTokens;
    @Inject
    TestSql sql;

    @BeforeEach
    void empty() {
        sql.update("DELETE FROM used_token_id");
    }

    @Test
    void theFirstUseOfAJtiWinsAndEveryLaterOneIsAReplay() {
        String jti = UUID.randomUUID().toString();
        Instant expires = Instant.now().plus(Duration.ofMinutes(31));

        assertTrue(usedTokens.firstUse(jti, expires));
        assertFalse(usedTokens.firstUse(jti, expires));
        assertFalse(usedTokens.firstUse(jti, expires.plusSeconds(60)), "whatever expiry the replay claims");
        assertTrue(usedTokens.firstUse(jti.toUpperCase(), expires), "a jti is compared exactly");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM used_token_id WHERE jti_hash = ?", jti), "only its hash is kept");
    }

    @Test
    void expiredRowsArePurgedInBatchesAndLiveOnesKept() {
        Instant past = Instant.now().minus(Duration.ofMinutes(5));
        int expired = AmoCrmUsedTokens.PURGE_BATCH * 2 + 17;
        for (int i = 0; i < expired; i += 500) {
            StringBuilder values = new StringBuilder();
            for (int j = i; j < Math.min(expired, i + 500); j++) {
                values.append(values.length() == 0 ? "" : ",").append("(SHA2('old-").append(j).append("', 256), ?)");
            }
            sql.update("INSERT INTO used_token_id (jti_hash, expires_at) VALUES " + values,
                    Collections.nCopies(Math.min(expired, i + 500) - i, Timestamp.from(past)).toArray());
        }
        String live = UUID.randomUUID().toString();
        usedTokens.firstUse(live, Instant.now().plus(Duration.ofMinutes(30)));

        usedTokens.purgeExpired();

        assertEquals(1, sql.count("SELECT COUNT(*) FROM used_token_id"));
        assertFalse(usedTokens.firstUse(live, Instant.now().plus(Duration.ofMinutes(30))), "a live token stays used");
    }
}
