package com.pactcrm.connector.pact.webhook;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationDeactivated;
import com.pactcrm.connector.installation.InstallationRepository;
import io.micronaut.context.annotation.Value;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hook key → active installation id, cached for a short time: the lookup cost as much as the
 * journal insert itself on every webhook (see README, Benchmark). On another replica, a deactivated
 * installation's webhooks may still be journaled for up to the TTL; the dispatcher ignores them.
 */
@Singleton
class PactHookKeys {

    private record Entry(long installationId, Instant expiresAt) {
    }

    private static final int MAX_ENTRIES = 100_000;

    private final InstallationRepository installations;
    private final Clock clock;
    private final Duration ttl;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    PactHookKeys(InstallationRepository installations, Clock clock,
                 @Value("${connector.pact.hook-key-cache-ttl:30s}") Duration ttl) {
        this.installations = installations;
        this.clock = clock;
        this.ttl = ttl;
    }

    /** In this replica the change is immediate; other replicas forget within the TTL. */
    @EventListener
    void onDeactivated(InstallationDeactivated event) {
        cache.values().removeIf(e -> e.installationId() == event.installationId());
    }

    /** The active installation this key belongs to; empty for unknown keys and inactive installations. */
    Optional<Long> activeInstallation(String hookKey) {
        Instant now = clock.instant();
        Entry entry = cache.get(hookKey);
        if (entry != null && entry.expiresAt().isAfter(now)) {
            return Optional.of(entry.installationId());
        }
        Optional<Long> found = installations.findByPactHookKey(hookKey).filter(Installation::active).map(Installation::id);
        if (found.isPresent()) {
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
            cache.put(hookKey, new Entry(found.get(), now.plus(ttl)));
        } else {
            cache.remove(hookKey);
        }
        return found;
    }
}
