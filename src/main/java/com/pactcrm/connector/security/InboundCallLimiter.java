package com.pactcrm.connector.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.resilience.RateLimit;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import jakarta.inject.Singleton;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds how often a caller nobody has verified yet can make the connector call out: an install trades the code or
 * refresh token it brings at amoCRM's or Bitrix24's OAuth server, a frame or session has the portal say whose
 * {@code AUTH_ID} it is. Unbounded, anyone could use the connector to hammer those servers, spend the per-account and
 * per-portal budgets the real sync needs (amoCRM blocks an account after repeated 429s), or hold its blocking threads in
 * outbound calls. Each {@link Kind} has a limit per client address and one per portal (a {@code member_id}, an amoCRM
 * account host); a call over either is refused with 429 and {@code Retry-After} before anything is sent.
 *
 * <p>Limiters are Resilience4j rate limiters in a Caffeine cache: at most {@code max-keys} of them (Caffeine's
 * admission policy keeps the keys in use when a flood of one-off keys arrives), each dropped once idle for twice its
 * period, so neither the number of addresses nor of portals a caller makes up grows memory. Per replica: with N
 * replicas behind a load balancer a caller gets up to N times the limits.
 */
@Singleton
public class InboundCallLimiter {

    /** What the call makes the connector do, and so which limits apply. */
    public enum Kind {
        /** Trades a code or refresh token at an OAuth server (installs), or issues an OAuth {@code state}. */
        INSTALL("install"),
        /** Asks a portal whose token a frame, a session request or an {@code ONAPPUPDATE} brings. */
        VERIFY("verify");

        final String configName;

        Kind(String configName) {
            this.configName = configName;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(InboundCallLimiter.class);
    /** An address is at most an IPv6 literal with a zone; a longer header value is cut, not stored whole. */
    private static final int MAX_ADDRESS_LENGTH = 64;

    private final RateLimiterConfig installPerAddress;
    private final RateLimiterConfig installPerPortal;
    private final RateLimiterConfig verifyPerAddress;
    private final RateLimiterConfig verifyPerPortal;
    private final String clientAddressHeader;
    private final Cache<String, AtomicRateLimiter> limiters;

    InboundCallLimiter(@Value("${connector.inbound-limits.install.per-address}") String installPerAddress,
                       @Value("${connector.inbound-limits.install.per-portal}") String installPerPortal,
                       @Value("${connector.inbound-limits.verify.per-address}") String verifyPerAddress,
                       @Value("${connector.inbound-limits.verify.per-portal}") String verifyPerPortal,
                       @Value("${connector.inbound-limits.max-keys}") long maxKeys,
                       @Nullable @Value("${connector.inbound-limits.client-address-header:}") String clientAddressHeader) {
        this.installPerAddress = config(installPerAddress);
        this.installPerPortal = config(installPerPortal);
        this.verifyPerAddress = config(verifyPerAddress);
        this.verifyPerPortal = config(verifyPerPortal);
        this.clientAddressHeader = clientAddressHeader == null || clientAddressHeader.isBlank() ? null : clientAddressHeader.strip();
        Duration longestPeriod = Stream.of(this.installPerAddress, this.installPerPortal, this.verifyPerAddress,
                this.verifyPerPortal).map(RateLimiterConfig::getLimitRefreshPeriod).max(Duration::compareTo).orElseThrow();
        this.limiters = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                // Dropped only after a full period without calls, so dropping one never gives permits back early.
                .expireAfterAccess(longestPeriod.multipliedBy(2))
                .build();
    }

    /**
     * Counts a call against its caller's address and, when given, its portal.
     *
     * @param portal a validated, bounded key of the portal or account the call is about, or null
     * @throws ProblemException 429 with {@code Retry-After} when either limit is used up
     */
    public void admit(Kind kind, HttpRequest<?> request, @Nullable String portal) {
        String address = clientAddress(request);
        take(kind, "address", address, kind == Kind.INSTALL ? installPerAddress : verifyPerAddress);
        if (portal != null) {
            take(kind, "portal", portal, kind == Kind.INSTALL ? installPerPortal : verifyPerPortal);
        }
    }

    private void take(Kind kind, String scope, String key, RateLimiterConfig config) {
        AtomicRateLimiter limiter = limiters.get(kind.configName + '|' + scope + '|' + key,
                name -> new AtomicRateLimiter(name, config));
        if (limiter.acquirePermission()) {
            return;
        }
        Duration wait = Duration.ofNanos(Math.max(0, limiter.getDetailedMetrics().getNanosToWait()));
        LOG.info("event=inbound_call_limited kind={} scope={} retryAfterMs={}", kind.configName, scope, wait.toMillis());
        throw ProblemException.tooManyRequests("too many " + kind.configName + " requests from this "
                + ("address".equals(scope) ? "address" : "portal") + "; try again later", wait);
    }

    /**
     * The caller's address: the TCP peer, or, behind a proxy that sets it ({@code connector.inbound-limits.client-address-header},
     * e.g. ingress-nginx's {@code X-Real-IP}), that header's last entry, the one the nearest proxy wrote. A header
     * named by nobody is never read: a caller could put anything in it.
     */
    private String clientAddress(HttpRequest<?> request) {
        if (clientAddressHeader != null) {
            String value = request.getHeaders().get(clientAddressHeader);
            if (value != null && !value.isBlank()) {
                String nearest = value.substring(value.lastIndexOf(',') + 1).strip();
                return nearest.length() > MAX_ADDRESS_LENGTH ? nearest.substring(0, MAX_ADDRESS_LENGTH) : nearest;
            }
        }
        InetSocketAddress peer = request.getRemoteAddress();
        return peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
    }

    private static RateLimiterConfig config(String spec) {
        RateLimit limit = RateLimit.parse(spec);
        return RateLimiterConfig.custom()
                .limitForPeriod(limit.permits())
                .limitRefreshPeriod(limit.period())
                // Refuse at once: a caller over its limit must not hold a thread waiting for a permit.
                .timeoutDuration(Duration.ZERO)
                .build();
    }
}
