package com.pactcrm.connector.pact;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactAuth;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The company's connected messenger accounts as Pact lists them ({@code GET /companies/{cid}/auths}), cached per
 * installation for {@code connector.card.channels-ttl}, and read again once an {@code auth} webhook was processed
 * after the copy was read (the webhook handler records each auth's state as installation health, on whichever
 * replica; the caller passes the newest of those times). Each provider is judged by its own accounts: one WhatsApp
 * session logged out no longer hides WABA or Telegram Personal.
 */
@Singleton
public class PactChannels {

    private static final Logger LOG = LoggerFactory.getLogger(PactChannels.class);
    private static final int PER_PAGE = 100;
    private static final int MAX_PAGES = 3;
    private static final Duration RETRY_FAILED_AFTER = Duration.ofMinutes(1);

    private final PactGateway pact;
    private final SecretCipher cipher;
    private final Cache<Long, Read> cache;

    private record Read(List<PactAuth> auths, Instant at) {
    }

    public PactChannels(PactGateway pact, SecretCipher cipher,
                        @Value("${connector.card.channels-ttl:10m}") Duration ttl) {
        this.pact = pact;
        this.cipher = cipher;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(10_000).build();
    }

    /**
     * @param lastAuthEvent when an {@code auth} webhook was last recorded for the installation (null: never)
     * @return the company's auths, or empty when Pact is not connected or cannot be read just now (not cached then)
     */
    public Optional<List<PactAuth>> auths(Installation installation, Instant lastAuthEvent) {
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            return Optional.empty();
        }
        Read cached = cache.getIfPresent(installation.id());
        if (cached != null && (lastAuthEvent == null || lastAuthEvent.isBefore(cached.at()))
                && (cached.auths() != null || cached.at().isAfter(Instant.now().minus(RETRY_FAILED_AFTER)))) {
            return Optional.ofNullable(cached.auths());
        }
        Instant readAt = Instant.now();
        PactCredentials credentials = new PactCredentials(cipher.decrypt(installation.pactTokenEnc()),
                installation.pactCompanyId());
        try {
            List<PactAuth> all = new ArrayList<>();
            for (int page = 1; page <= MAX_PAGES; page++) {
                List<PactAuth> found = pact.listAuths(credentials, page, PER_PAGE);
                all.addAll(found);
                if (found.size() < PER_PAGE) {
                    break;
                }
            }
            List<PactAuth> result = List.copyOf(all);
            cache.put(installation.id(), new Read(result, readAt));
            return Optional.of(result);
        } catch (OutboundCallException e) {
            LOG.info("event=pact_auths_unavailable installationId={} reason=\"{}\"", installation.id(), e.getMessage());
            // Every card opening would ask again: a failed read is remembered for a minute.
            cache.put(installation.id(), new Read(null, readAt));
            return Optional.empty();
        }
    }

}
