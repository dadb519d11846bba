package com.pactcrm.connector.bitrix24.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.Bitrix24InstallationRepository;
import com.pactcrm.connector.bitrix24.Bitrix24TokenVerifier;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.client.Bitrix24BatchResult;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.bitrix24.client.Bitrix24Query;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24OAuthClient;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24OAuthException;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24Tokens;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs (or re-installs, or updates) the application in a portal, keyed by {@code member_id}:
 * <ol>
 *   <li>the refresh token from the installer frame or ONAPPINSTALL is traded at the OAuth server, which alone
 *       says which portal ({@code member_id}, {@code client_endpoint}) the tokens belong to: a forged install
 *       naming another portal's member_id cannot overwrite it, and no request goes to a domain the caller
 *       made up;</li>
 *   <li>the tokens must be a portal administrator's ({@code user.admin}): every user who opens one of our frames
 *       has a refresh token of this application ({@code REFRESH_ID}) that the OAuth server accepts, and installing
 *       replaces the stored tokens and {@code application_token}; installing is an administrator's act in
 *       Bitrix24 too ({@code placement.bind} is admin-only, bitrix24.md §4.1);</li>
 *   <li>events and placements are bound idempotently with the new tokens: {@code event.get}/{@code placement.get}
 *       first, only the missing ones bound, and "Handler already binded" counts as bound (bitrix24.md §3.1, §8.1
 *       item 12);</li>
 *   <li>only then is the portal stored, in one transaction with its health (a re-install updates the same row and
 *       keeps its hook keys and Pact link), tokens and {@code application_token} encrypted. An install that fails
 *       before leaves the stored installation as it was.</li>
 * </ol>
 */
@Singleton
public class Bitrix24Installer {

    /** The events the use-cases need (bitrix24.md §3.6): responsible via UPDATE, comments, and the app lifecycle. */
    public static final List<String> EVENTS = List.of("ONCRMLEADUPDATE", "ONCRMDEALUPDATE", "ONCRMCONTACTUPDATE",
            "ONCRMTIMELINECOMMENTADD", "ONAPPUPDATE", "ONAPPUNINSTALL");
    /** The automation robot that sends through Pact (issue 15). */
    public static final String ROBOT_CODE = "pact_send";
    /** The CRM events also bound as offline events, for the catch-up (issue 15). */
    public static final List<String> OFFLINE_EVENTS = List.of("ONCRMLEADUPDATE", "ONCRMDEALUPDATE", "ONCRMCONTACTUPDATE",
            "ONCRMTIMELINECOMMENTADD");
    /** Toolbar items start a chat, tabs show the entity's chats and statuses (bitrix24.md §4.2). */
    public static final List<String> PLACEMENTS = List.of("CRM_LEAD_DETAIL_TOOLBAR", "CRM_DEAL_DETAIL_TOOLBAR",
            "CRM_CONTACT_DETAIL_TOOLBAR", "CRM_LEAD_DETAIL_TAB", "CRM_DEAL_DETAIL_TAB", "CRM_CONTACT_DETAIL_TAB");
    /**
     * The connector's {@code messageservice} sender (bitrix24.md §6.3): "Pact WhatsApp" in the card's SMS/WhatsApp
     * block and automation rules. Needs the {@code messageservice} scope; without it the rest still works.
     */
    public static final String SENDER_CODE = "pact_whatsapp";
    /** The core's answer to a duplicate bind, as ERROR_CORE (bitrix24.md §3.1, EventTable::checkUniq). */
    private static final String ALREADY_BOUND = "handler already binded";
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24Installer.class);

    private final Bitrix24OAuthClient oauth;
    private final Bitrix24ApiClient api;
    private final Bitrix24TokenService tokens;
    private final InstallationRepository installations;
    private final Bitrix24InstallationRepository bitrix24Installations;
    private final InstallationHealthRepository health;
    private final SecretCipher cipher;
    /** Per Bitrix24 language id: the toolbar item's title, the tab's description, the toolbar item's description. */
    private static final Map<String, String[]> PLACEMENT_WORDS = new LinkedHashMap<>();

    static {
        PLACEMENT_WORDS.put("br", new String[] {"Pact: escrever primeiro", "Conversas e status do Pact", "Iniciar conversa no Pact"});
        PLACEMENT_WORDS.put("en", new String[] {"Pact: write first", "Pact conversations and statuses", "Start a Pact conversation"});
        PLACEMENT_WORDS.put("ru", new String[] {"Pact: написать первым", "Диалоги и статусы Pact", "Начать диалог в Pact"});
        PLACEMENT_WORDS.put("la", new String[] {"Pact: escribir primero", "Conversaciones y estados de Pact", "Iniciar conversación en Pact"});
    }

    private final ObjectMapper json;
    private final Outbox outbox;
    private final Bitrix24TokenVerifier tokenOwners;
    private final TransactionOperations<Connection> tx;
    private final String publicUrl;
    /**
     * Installs of one portal run one at a time; the locks are striped by member_id (a fixed number, whatever
     * member_ids callers post), so two portals may share a stripe and merely wait for each other.
     */
    private final Object[] installLocks = new Object[64];

    Bitrix24Installer(Bitrix24OAuthClient oauth, Bitrix24ApiClient api, Bitrix24TokenService tokens,
                      InstallationRepository installations, Bitrix24InstallationRepository bitrix24Installations,
                      InstallationHealthRepository health, SecretCipher cipher, ObjectMapper json, Outbox outbox,
                      Bitrix24TokenVerifier tokenOwners, TransactionOperations<Connection> tx,
                      @Value("${connector.public-url}") String publicUrl) {
        this.oauth = oauth;
        this.api = api;
        this.tokens = tokens;
        this.installations = installations;
        this.bitrix24Installations = bitrix24Installations;
        this.health = health;
        this.cipher = cipher;
        this.json = json;
        this.outbox = outbox;
        this.tokenOwners = tokenOwners;
        this.tx = tx;
        for (int i = 0; i < installLocks.length; i++) {
            installLocks[i] = new Object();
        }
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /**
     * Thrown when the install cannot be trusted: wrong portal or tokens the OAuth server refuses (401), tokens of a
     * user who is not a portal administrator (403).
     */
    public static class InstallRefusedException extends RuntimeException {
        private final HttpStatus status;

        InstallRefusedException(HttpStatus status, String message) {
            super(message);
            this.status = status;
        }

        public HttpStatus status() {
            return status;
        }
    }

    /** A health state to record once the installation is (or stays) stored. */
    private record HealthState(String component, String state, String detail) {
    }

    /** What binding found and did: health states to record, and what the portal refused (null when nothing). */
    private record Bindings(List<HealthState> health, String refused) {
        OutboundCallException refusal() {
            return new OutboundCallException("Bitrix24 refused bindings: " + refused, Disposition.PERMANENT, 200, null,
                    null, null, null);
        }
    }

    /**
     * @param memberId         the {@code member_id} the caller claims, canonical ({@code Bitrix24MemberId})
     * @param refreshToken     {@code REFRESH_ID} or {@code auth[refresh_token]}
     * @param applicationToken {@code APPLICATION_TOKEN} or {@code auth[application_token]}
     */
    public Installation install(String memberId, String refreshToken, String applicationToken) {
        // The installer frame and ONAPPINSTALL usually arrive together with the same refresh token: one at a time.
        synchronized (installLocks[Math.floorMod(memberId.hashCode(), installLocks.length)]) {
            Installation existing = installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, memberId).orElse(null);
            Bitrix24Tokens verified;
            try {
                verified = oauth.refresh(refreshToken);
            } catch (Bitrix24OAuthException e) {
                if (e.reauthRequired() && existing != null && existing.active() && sameSecret(existing, applicationToken)) {
                    // The other delivery of this install used the refresh token first and stored the rotated pair.
                    LOG.info("event=bitrix24_install_already_stored installationId={} memberId={}", existing.id(), memberId);
                    bind(existing.id());
                    return existing;
                }
                if (e.disposition() == Disposition.HEALTH) {
                    throw new InstallRefusedException(HttpStatus.UNAUTHORIZED,
                            "the Bitrix24 OAuth server refused the install tokens: " + e.error());
                }
                throw e;
            }
            if (!verified.memberId().equalsIgnoreCase(memberId)) {
                LOG.warn("event=bitrix24_install_refused reason=member_mismatch claimed={} actual={}", memberId,
                        verified.memberId());
                throw new InstallRefusedException(HttpStatus.UNAUTHORIZED, "the tokens belong to another portal");
            }
            // Stored and keyed from here on in the edge's canonical spelling, which lookups compare byte for byte.
            Bitrix24Portal portal = new Bitrix24Portal(memberId, verified.portalHost(), verified.accessToken());
            requireAdministrator(portal);
            Bindings bindings = bindMissing(portal);
            if (bindings.refused() != null) {
                throw bindings.refusal();
            }
            Installation saved = tx.executeWrite(status -> {
                // Locked and read again: the relay may have refreshed the stored tokens while the portal was bound.
                Installation current = existing == null ? null : installations.lockById(existing.id()).orElseThrow();
                Installation stored = store(current, memberId, verified, applicationToken);
                health.record(stored.id(), Bitrix24OAuthException.HEALTH_COMPONENT_TOKEN, "OK", "installed");
                bindings.health().forEach(h -> health.record(stored.id(), h.component(), h.state(), h.detail()));
                if (existing != null) {
                    // Fresh tokens from the OAuth server: a refused grant or an unpaid period is over, and what waited
                    // for it (held or dead for credentials) goes out again.
                    health.record(stored.id(), Bitrix24OAuthException.HEALTH_COMPONENT_BILLING, "OK", "re-installed");
                    outbox.liftHold(stored.id(), CommandKind.Target.CRM);
                }
                return stored;
            });
            LOG.info("event=bitrix24_installed installationId={} memberId={} host={} reinstall={}", saved.id(), memberId,
                    verified.portalHost(), existing != null);
            return saved;
        }
    }

    /**
     * The OAuth server issued the tokens to this application, so they are ours; whose they are, the portal says.
     *
     * @throws InstallRefusedException 403 for a user who is not a portal administrator
     */
    private void requireAdministrator(Bitrix24Portal portal) {
        Bitrix24TokenVerifier.TokenOwner owner = tokenOwners.owner(portal).orElseThrow(() ->
                new InstallRefusedException(HttpStatus.UNAUTHORIZED, "the portal does not accept the install tokens"));
        if (!owner.admin()) {
            LOG.warn("event=bitrix24_install_refused reason=not_an_administrator memberId={} crmUser={}", portal.memberId(),
                    owner.userId());
            throw new InstallRefusedException(HttpStatus.FORBIDDEN,
                    "only a portal administrator can install the application");
        }
    }

    /**
     * ONAPPUPDATE: handlers may have been removed by the update (bitrix24.md §1.5), so everything is bound again
     * with the stored installer tokens, after a new application_token (verified by the caller) replaced the old one.
     *
     * @param applicationToken the event's new application_token, or null when it carried the stored one
     */
    public void update(Installation installation, @Nullable String applicationToken) {
        if (applicationToken != null) {
            bitrix24Installations.updateApplicationToken(installation.id(), cipher.encrypt(applicationToken));
        }
        bind(installation.id());
        LOG.info("event=bitrix24_updated installationId={} memberId={} applicationTokenReplaced={}", installation.id(),
                installation.crmAccountId(), applicationToken != null);
    }

    /** Binds what is missing with the stored tokens; @throws OutboundCallException when the portal refused a binding */
    void bind(long installationId) {
        Bindings bindings = tokens.withPortal(installationId, this::bindMissing);
        if (bindings.refused() != null) {
            health.record(installationId, "CRM_EVENTS", "FAILED", bindings.refused());
            throw bindings.refusal();
        }
        bindings.health().forEach(h -> health.record(installationId, h.component(), h.state(), h.detail()));
    }

    private Bindings bindMissing(Bitrix24Portal portal) {
        List<HealthState> states = new ArrayList<>();
        String eventHandler = publicUrl + "/bitrix24/events";
        String placementHandler = publicUrl + "/bitrix24/placement";
        Map<String, String> reads = new LinkedHashMap<>();
        reads.put("events", "event.get");
        reads.put("placements", "placement.get");
        reads.put("senders", "messageservice.sender.list");
        reads.put("robots", "bizproc.robot.list");
        Bitrix24BatchResult bound = api.batch(portal, reads);
        Set<String> boundEvents = new HashSet<>();
        Set<String> boundOffline = new HashSet<>();
        bound.results().getOrDefault("events", json.createArrayNode()).forEach(e -> {
            if (e.path("offline").asInt(0) == 1) {
                boundOffline.add(e.path("event").asText().toUpperCase(Locale.ROOT));
            } else if (eventHandler.equals(e.path("handler").asText())) {
                boundEvents.add(e.path("event").asText().toUpperCase(Locale.ROOT));
            }
        });
        Set<String> boundPlacements = new HashSet<>();
        bound.results().getOrDefault("placements", json.createArrayNode()).forEach(p -> {
            if (placementHandler.equals(p.path("handler").asText())) {
                boundPlacements.add(p.path("placement").asText().toUpperCase(Locale.ROOT));
            }
        });
        Map<String, String> binds = new LinkedHashMap<>();
        for (String event : EVENTS) {
            if (!boundEvents.contains(event)) {
                ObjectNode p = json.createObjectNode().put("event", event).put("handler", eventHandler);
                binds.put("event_" + event, Bitrix24Query.command("event.bind", p));
            }
        }
        // The same CRM events also as offline events: Bitrix24 keeps them in the portal's queue until the connector's
        // catch-up collects them with event.offline.get, so an online event lost on the way is not lost for good
        // (bitrix24.md §3.4; event.bind event_type=offline).
        for (String event : OFFLINE_EVENTS) {
            if (!boundOffline.contains(event)) {
                ObjectNode p = json.createObjectNode().put("event", event).put("handler", eventHandler)
                        .put("event_type", "offline");
                binds.put("offline_" + event, Bitrix24Query.command("event.bind", p));
            }
        }
        for (String placement : PLACEMENTS) {
            if (!boundPlacements.contains(placement)) {
                boolean tab = placement.endsWith("_TAB");
                ObjectNode p = json.createObjectNode().put("PLACEMENT", placement).put("HANDLER", placementHandler)
                        .put("TITLE", tab ? "Pact" : PLACEMENT_WORDS.get("br")[0])
                        .put("DESCRIPTION", tab ? PLACEMENT_WORDS.get("br")[1] : PLACEMENT_WORDS.get("br")[2]);
                // Each user sees the title in the portal language they chose (placement.bind LANG_ALL, by Bitrix24
                // language id: br Portuguese, la Spanish; apidocs.bitrix24.com api-reference/widgets/placement-bind).
                ObjectNode langAll = p.putObject("LANG_ALL");
                PLACEMENT_WORDS.forEach((lang, words) -> langAll.putObject(lang).put("TITLE", tab ? "Pact" : words[0])
                        .put("DESCRIPTION", tab ? words[1] : words[2]));
                binds.put("placement_" + placement, Bitrix24Query.command("placement.bind", p));
            }
        }
        if (!bound.results().containsKey("senders")) {
            Bitrix24BatchResult.Error error = bound.errors().get("senders");
            states.add(new HealthState("CRM_SENDER", "UNAVAILABLE", "messageservice: " + error.error() + " "
                    + error.description() + " (is the messageservice scope granted?)"));
        } else if (!containsText(bound.results().get("senders"), SENDER_CODE)) {
            ObjectNode p = json.createObjectNode().put("CODE", SENDER_CODE).put("TYPE", "SMS")
                    .put("HANDLER", publicUrl + "/bitrix24/messageservice").put("NAME", "Pact WhatsApp")
                    .put("DESCRIPTION", "Envia pelo WhatsApp do Pact");
            binds.put("sender", Bitrix24Query.command("messageservice.sender.add", p));
        } else {
            states.add(new HealthState("CRM_SENDER", "OK", "registered"));
        }
        if (!bound.results().containsKey("robots")) {
            Bitrix24BatchResult.Error error = bound.errors().get("robots");
            states.add(new HealthState("CRM_ROBOT", "UNAVAILABLE", "bizproc: " + (error == null ? "" : error.error() + " "
                    + error.description()) + " (is the bizproc scope granted?)"));
        } else if (!containsText(bound.results().get("robots"), ROBOT_CODE)) {
            binds.put("robot", Bitrix24Query.command("bizproc.robot.add", robot(publicUrl + "/bitrix24/robot")));
        } else {
            states.add(new HealthState("CRM_ROBOT", "OK", "registered"));
        }
        if (binds.isEmpty()) {
            LOG.info("event=bitrix24_bindings_present memberId={}", portal.memberId());
            states.add(new HealthState("CRM_EVENTS", "OK", "events and placements bound"));
            return new Bindings(states, null);
        }
        Bitrix24BatchResult result = api.batch(portal, binds);
        StringBuilder failures = new StringBuilder();
        result.errors().forEach((key, error) -> {
            if (error.description() != null && error.description().toLowerCase(Locale.ROOT).contains(ALREADY_BOUND)) {
                return;
            }
            if (key.equals("robot")) {
                // The robot is an extra too.
                states.add(new HealthState("CRM_ROBOT", "FAILED", error.error() + " " + error.description()));
                return;
            }
            if (key.equals("sender")) {
                // The sender is an extra: a portal that refuses it keeps everything else.
                states.add(new HealthState("CRM_SENDER", "FAILED", error.error() + " " + error.description()));
                return;
            }
            failures.append(key).append(": ").append(error.error()).append(' ').append(error.description()).append("; ");
        });
        if (!failures.isEmpty()) {
            return new Bindings(states, failures.toString());
        }
        if (result.results().containsKey("sender")) {
            states.add(new HealthState("CRM_SENDER", "OK", "registered"));
        }
        if (result.results().containsKey("robot")) {
            states.add(new HealthState("CRM_ROBOT", "OK", "registered"));
        }
        states.add(new HealthState("CRM_EVENTS", "OK", "events and placements bound"));
        LOG.info("event=bitrix24_bound memberId={} bound={} alreadyBound={}", portal.memberId(),
                result.results().size(), result.errors().size());
        return new Bindings(states, null);
    }

    /**
     * The automation robot "Pact: send a message": a text, or a WABA template id with its substitutions; Bitrix24 fills
     * document fields ({=Document:TITLE}) into them before calling. Names per portal language ({@code br}, {@code la}).
     */
    private ObjectNode robot(String handler) {
        ObjectNode p = json.createObjectNode().put("CODE", ROBOT_CODE).put("HANDLER", handler).put("AUTH_USER_ID", 1)
                .put("USE_SUBSCRIPTION", "N");
        p.putObject("NAME").put("br", "Pact: enviar mensagem").put("en", "Pact: send a message")
                .put("ru", "Pact: отправить сообщение").put("la", "Pact: enviar mensaje");
        ObjectNode props = p.putObject("PROPERTIES");
        props.putObject("text").put("Name", "Text / Texto").put("Type", "text").put("Required", "N");
        props.putObject("waba_id").put("Name", "WABA template id").put("Type", "int").put("Required", "N");
        props.putObject("substitutions").put("Name", "WABA substitutions").put("Type", "string").put("Multiple", "Y")
                .put("Required", "N");
        return p;
    }

    private static boolean containsText(JsonNode list, String value) {
        for (JsonNode item : list) {
            if (value.equals(item.asText())) {
                return true;
            }
        }
        return false;
    }

    private Installation store(Installation existing, String memberId, Bitrix24Tokens t, String applicationToken) {
        String appTokenEnc = cipher.encrypt(applicationToken);
        if (existing == null) {
            return installations.save(new Installation(null, CrmKind.BITRIX24, memberId, t.portalHost(),
                    InstallationStatus.ACTIVE, HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt(t.accessToken()),
                    cipher.encrypt(t.refreshToken()), t.expiresAt(), appTokenEnc, null, null, null,
                    InstallationSettings.NEW_INSTALLATION, null, null, null));
        }
        return installations.update(new Installation(existing.id(), CrmKind.BITRIX24, memberId, t.portalHost(),
                InstallationStatus.ACTIVE, existing.hookKey(), existing.pactHookKey(), cipher.encrypt(t.accessToken()),
                cipher.encrypt(t.refreshToken()), t.expiresAt(), appTokenEnc, existing.pactCompanyId(),
                existing.pactTokenEnc(), existing.pactWebhookId(), existing.settings(), existing.version(),
                existing.createdAt(), existing.updatedAt()));
    }

    /** Constant-time comparison of a presented application_token with the stored one (bitrix24.md §3.3). */
    public boolean sameSecret(Installation installation, String applicationToken) {
        if (installation.applicationTokenEnc() == null || applicationToken == null) {
            return false;
        }
        byte[] stored = cipher.decrypt(installation.applicationTokenEnc()).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(stored, applicationToken.getBytes(StandardCharsets.UTF_8));
    }
}
