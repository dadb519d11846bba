package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealth;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.pact.PactChannels;
import com.pactcrm.connector.pact.client.PactAuth;
import java.time.Instant;
import java.util.Optional;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.quickreply.QuickReplyTemplateRepository;
import com.pactcrm.connector.quickreply.QuickReplyText;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.widgetapi.CardConversations.Conversation;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the card shows: the entity's name and phones (read from the CRM), its Pact conversations with
 * their latest messages and status icons, the channels a manager can write first on, the quick replies
 * with their variables already filled for this client and user, the caller and the page language.
 */
@Controller("/api/v1/context")
@ExecuteOn(TaskExecutors.BLOCKING)
class ContextController {

    record Context(Entity entity, List<Conversation> conversations, List<String> channels, List<QuickReply> templates,
                   User user, String language) {
    }

    /** {@code available} is false when the CRM could not be read just now (the rest still shows). */
    record Entity(String type, String id, String name, List<String> phones, boolean available) {
    }

    /** A quick reply; {@code text} is the body with {@code {{contact.name}}} and {@code {{user.name}}} filled. */
    record QuickReply(long id, String title, String text) {
    }

    record User(String id, String name, boolean admin) {
    }

    /** Writing first is possible only on these (Pact's "Messages" help page). */
    static final List<String> WRITE_FIRST_CHANNELS = List.of(PactWriteFirstRequest.WHATSAPP,
            PactWriteFirstRequest.WHATSAPP_BUSINESS, PactWriteFirstRequest.TELEGRAM_PERSONAL);
    private static final Set<String> UNUSABLE_CHANNEL_STATES = Set.of("DISABLED", "DELETED");
    private static final Logger LOG = LoggerFactory.getLogger(ContextController.class);

    private final WidgetAuth auth;
    private final CardConversations conversations;
    private final QuickReplyTemplateRepository templates;
    private final InstallationHealthRepository health;
    private final PactChannels pactChannels;
    private final WidgetSettings settings;
    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);

    ContextController(WidgetAuth auth, CardConversations conversations, QuickReplyTemplateRepository templates,
                      InstallationHealthRepository health, WidgetSettings settings, List<CrmGateway> gateways,
                      PactChannels pactChannels) {
        this.pactChannels = pactChannels;
        this.auth = auth;
        this.conversations = conversations;
        this.templates = templates;
        this.health = health;
        this.settings = settings;
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
    }

    @Get
    Context context(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                    @QueryValue String entityType, @QueryValue String entityId) {
        Caller caller = auth.caller(authorization, origin);
        CardEntities.requireValid(entityType, entityId);
        Installation installation = caller.installation();
        Entity entity = entity(installation, entityType, entityId);
        String userName = settings.userName(caller);
        List<QuickReply> replies = templates.findByInstallation(installation.id()).stream()
                .map(t -> new QuickReply(t.id(), t.title(), QuickReplyText.fill(t.body(), entity.name(), userName)))
                .toList();
        return new Context(entity, conversations.of(installation.id(), entityType, entityId), channels(installation),
                replies, new User(caller.session().crmUserId(), userName, caller.session().admin()),
                settings.language(installation));
    }

    /**
     * The write-first channels the Pact company has: the providers of its connected accounts that are not disabled
     * (Pact's auths, {@link PactChannels}). When Pact cannot be read, what its {@code auth} webhooks said: a provider
     * is left out only when every account of it that we heard of is disabled or deleted, and providers we never
     * heard of are offered (Pact refuses what it cannot send, and the card says so).
     */
    private List<String> channels(Installation installation) {
        List<InstallationHealth> heard = health.findByInstallationId(installation.id()).stream()
                .filter(h -> h.component().startsWith("PACT_CHANNEL:") && h.detail() != null).toList();
        Instant lastAuthEvent = heard.stream().map(InstallationHealth::updatedAt).filter(at -> at != null)
                .max(Instant::compareTo).orElse(null);
        Optional<List<PactAuth>> auths = pactChannels.auths(installation, lastAuthEvent);
        if (auths.isPresent()) {
            return WRITE_FIRST_CHANNELS.stream().filter(p -> auths.get().stream().anyMatch(a -> p.equals(a.provider())
                    && !UNUSABLE_CHANNEL_STATES.contains(String.valueOf(a.state()).toUpperCase(Locale.ROOT)))).toList();
        }
        return WRITE_FIRST_CHANNELS.stream().filter(p -> {
            List<String> states = heard.stream().filter(h -> h.detail().split(" ", 2)[0].equals(p))
                    .map(h -> h.state().toUpperCase(Locale.ROOT)).toList();
            return states.isEmpty() || states.stream().anyMatch(st -> !UNUSABLE_CHANNEL_STATES.contains(st));
        }).toList();
    }

    private Entity entity(Installation installation, String entityType, String entityId) {
        CrmGateway gateway = gateways.get(installation.crm());
        try {
            return gateway == null ? new Entity(entityType, entityId, null, List.of(), false)
                    : gateway.entity(installation, entityType, entityId)
                            .map((CrmEntity e) -> new Entity(e.type(), e.id(), e.name(), e.phones(), true))
                            .orElseThrow(() -> new ProblemException(HttpStatus.NOT_FOUND, "Not Found",
                                    "the CRM has no " + entityType + " " + entityId));
        } catch (OutboundCallException e) {
            LOG.warn("event=context_crm_unavailable entity={}:{} error=\"{}\"", entityType, entityId, e.getMessage());
            return new Entity(entityType, entityId, null, List.of(), false);
        }
    }
}
