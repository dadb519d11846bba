package com.pactcrm.connector.bitrix24.event;

import com.pactcrm.connector.bitrix24.Bitrix24Callbacks;
import com.pactcrm.connector.bitrix24.Bitrix24InstallationRepository;
import com.pactcrm.connector.bitrix24.Bitrix24MemberId;
import com.pactcrm.connector.bitrix24.Bitrix24TokenVerifier;
import com.pactcrm.connector.bitrix24.Bitrix24TokenVerifier.TokenOwner;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.crm.form.MalformedFormException;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationDeactivated;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.InboundCallLimiter;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Bitrix24 events ({@code POST /bitrix24/events}, form-urlencoded, bitrix24.md §3.2). The only authenticity
 * check Bitrix24 offers is {@code auth[application_token]}, compared in constant time with the value stored
 * for {@code auth[member_id]} (§3.3); a mismatch is 401. Bitrix24 never retries and slows down late handlers
 * (§3.4), so CRM events are only journaled here (without their tokens, deduplicated by body) and answered;
 * the application lifecycle events are applied at once:
 * <ul>
 *   <li>{@code ONAPPINSTALL}: installs, as {@code /bitrix24/install} does;</li>
 *   <li>{@code ONAPPUPDATE}: events and placements are bound again (§1.5). It carries a new application_token, which
 *       cannot match the stored one, and whoever holds that token can forge every later event (uninstall, sender
 *       messages), so it replaces the stored one only when the event's access token is a portal administrator's
 *       token of this application on this portal ({@link Bitrix24TokenVerifier}): updating an application is an
 *       administrator's act, and the event carries the acting user's token. Any user who opens one of our frames
 *       holds a token of this application, so "our application" alone is not enough. An update Bitrix24 sends
 *       without an administrator's token is refused; re-installing the application stores the new token;</li>
 *   <li>{@code ONAPPUNINSTALL}: the installation becomes inactive and its tokens are wiped; a repeat is a no-op.</li>
 * </ul>
 */
@Controller("/bitrix24/events")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24EventController {

    private static final Set<String> JOURNALED = Set.of("ONCRMLEADUPDATE", "ONCRMDEALUPDATE", "ONCRMCONTACTUPDATE",
            "ONCRMTIMELINECOMMENTADD");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24EventController.class);

    private final InstallationRepository installations;
    private final Bitrix24InstallationRepository bitrix24Installations;
    private final Bitrix24Installer installer;
    private final Bitrix24TokenVerifier tokens;
    private final InstallationHealthRepository health;
    private final WebhookIntake intake;
    private final ApplicationEventPublisher<InstallationDeactivated> deactivated;
    private final MeterRegistry meters;
    private final InboundCallLimiter limiter;

    Bitrix24EventController(InstallationRepository installations, Bitrix24InstallationRepository bitrix24Installations,
                            Bitrix24Installer installer, Bitrix24TokenVerifier tokens,
                            InstallationHealthRepository health, WebhookIntake intake,
                            ApplicationEventPublisher<InstallationDeactivated> deactivated, MeterRegistry meters,
                            InboundCallLimiter limiter) {
        this.installations = installations;
        this.bitrix24Installations = bitrix24Installations;
        this.installer = installer;
        this.tokens = tokens;
        this.health = health;
        this.intake = intake;
        this.deactivated = deactivated;
        this.meters = meters;
        this.limiter = limiter;
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@Nullable @Body byte[] body, HttpRequest<?> request) {
        long start = System.nanoTime();
        try {
            return handle(parse(body), request);
        } finally {
            meters.timer("connector.inbound.ack.latency", "source", "bitrix24").record(Duration.ofNanos(System.nanoTime() - start));
            MDC.remove("installationId");
        }
    }

    private Map<String, String> handle(BracketedForm form, HttpRequest<?> request) {
        String event = form.get("event");
        String memberId = Bitrix24MemberId.canonicalOrNull(form.get("auth[member_id]"));
        String applicationToken = form.get("auth[application_token]");
        if (event == null || memberId == null || applicationToken == null) {
            intake.count(EventSource.BITRIX24, "rejected");
            throw ProblemException.badRequest("event, auth[member_id] (32 hexadecimal characters) and "
                    + "auth[application_token] are required");
        }
        String name = event.toUpperCase(Locale.ROOT);
        if ("ONAPPINSTALL".equals(name)) {
            return install(form, memberId, applicationToken, request);
        }
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, memberId)
                .orElseThrow(() -> refused(memberId, name, "unknown_portal"));
        MDC.put("installationId", Long.toString(installation.id()));
        if ("ONAPPUPDATE".equals(name)) {
            return update(form, installation, applicationToken, request);
        }
        if (!installer.sameSecret(installation, applicationToken)) {
            throw refused(memberId, name, "application_token_mismatch");
        }
        if ("ONAPPUNINSTALL".equals(name)) {
            return uninstall(installation);
        }
        if (!installation.active()) {
            intake.count(EventSource.BITRIX24, "inactive");
            return Map.of("status", "ignored");
        }
        if (!JOURNALED.contains(name)) {
            intake.count(EventSource.BITRIX24, "not_followed");
            return Map.of("status", "ignored");
        }
        boolean stored = intake.accept(installation.id(), EventSource.BITRIX24, Bitrix24Callbacks.withoutSecrets(form), request.getHeaders());
        LOG.debug("event=bitrix24_event_journaled installationId={} name={} stored={}", installation.id(), name, stored);
        return Map.of("status", stored ? "accepted" : "duplicate");
    }

    private Map<String, String> install(BracketedForm form, String memberId, String applicationToken,
                                        HttpRequest<?> request) {
        String refreshToken = form.get("auth[refresh_token]");
        if (refreshToken == null) {
            throw ProblemException.badRequest("ONAPPINSTALL without auth[refresh_token]");
        }
        limiter.admit(InboundCallLimiter.Kind.INSTALL, request, memberId);
        try {
            installer.install(memberId, refreshToken, applicationToken);
        } catch (Bitrix24Installer.InstallRefusedException e) {
            ProblemException refused = refused(memberId, "ONAPPINSTALL", e.getMessage());
            throw e.status() == HttpStatus.UNAUTHORIZED ? refused
                    : new ProblemException(e.status(), e.status().getReason(), e.getMessage());
        } catch (OutboundCallException e) {
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Bad Gateway", "Bitrix24 did not complete the installation");
        }
        return Map.of("status", "installed");
    }

    private Map<String, String> update(BracketedForm form, Installation installation, String applicationToken,
                                       HttpRequest<?> request) {
        if (!installation.active()) {
            throw refused(installation.crmAccountId(), "ONAPPUPDATE", "installation_inactive");
        }
        boolean fromBitrix24 = installer.sameSecret(installation, applicationToken);
        if (!fromBitrix24) {
            // Only a token check at the portal can tell an administrator from anyone else posting this.
            limiter.admit(InboundCallLimiter.Kind.VERIFY, request, installation.crmAccountId());
            String reason = whyNotAnAdministratorOfOurApplication(installation, form.get("auth[access_token]"));
            if (reason != null) {
                throw refused(installation.crmAccountId(), "ONAPPUPDATE", reason);
            }
        }
        try {
            installer.update(installation, fromBitrix24 ? null : applicationToken);
        } catch (OutboundCallException e) {
            LOG.error("event=bitrix24_update_rebind_failed installationId={} error=\"{}\"", installation.id(), e.getMessage());
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Bad Gateway", "binding events again failed");
        }
        return Map.of("status", "updated");
    }

    /**
     * Asks the stored portal (never a domain from the event) who holds the event's access token.
     *
     * @return null for a portal administrator's token of this application, else why not (for the log)
     */
    private String whyNotAnAdministratorOfOurApplication(Installation installation, String accessToken) {
        if (accessToken == null) {
            return "no_access_token";
        }
        TokenOwner owner;
        try {
            owner = tokens.owner(new Bitrix24Portal(installation.crmAccountId(), installation.crmHost(), accessToken))
                    .orElse(null);
        } catch (OutboundCallException e) {
            LOG.info("event=bitrix24_update_token_unverified installationId={} status={}", installation.id(), e.status());
            return "token_not_verifiable";
        }
        if (owner == null) {
            return "token_rejected_by_portal";
        }
        if (!owner.ourApplication()) {
            return "token_of_another_application";
        }
        return owner.admin() ? null : "token_of_a_non_admin_user";
    }

    private Map<String, String> uninstall(Installation installation) {
        if (installation.active() || installation.accessTokenEnc() != null) {
            bitrix24Installations.uninstall(installation.id());
            health.record(installation.id(), "CRM_TOKEN", "UNINSTALLED", "the application was removed from the portal");
            deactivated.publishEvent(new InstallationDeactivated(installation.id()));
            LOG.info("event=bitrix24_uninstalled installationId={} memberId={}", installation.id(), installation.crmAccountId());
        }
        return Map.of("status", "uninstalled");
    }

    private ProblemException refused(String memberId, String event, String reason) {
        intake.count(EventSource.BITRIX24, "unauthorized");
        LOG.warn("event=bitrix24_event_refused memberId={} name={} reason=\"{}\"", memberId, event, reason);
        return new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the event is not authenticated");
    }

    private BracketedForm parse(byte[] body) {
        try {
            BracketedForm form = BracketedForm.parse(body);
            if (form.isEmpty()) {
                throw ProblemException.badRequest("empty event body");
            }
            return form;
        } catch (MalformedFormException e) {
            intake.count(EventSource.BITRIX24, "rejected");
            throw ProblemException.badRequest("the event body is not form-urlencoded");
        }
    }
}
