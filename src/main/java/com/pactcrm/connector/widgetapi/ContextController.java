package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.security.SessionTokens.Session;
import com.pactcrm.connector.sync.outbox.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the card shows: the entity's name and phones (read from the CRM), its Pact conversations with
 * their latest message and its status icon, and the channels Pact lets a manager write first on.
 */
@Controller("/api/v1/context")
@ExecuteOn(TaskExecutors.BLOCKING)
class ContextController {

    record Context(Entity entity, List<Conversation> conversations, List<String> channels, List<Object> templates) {
    }

    /** {@code available} is false when the CRM could not be read just now (the rest still shows). */
    record Entity(String type, String id, String name, List<String> phones, boolean available) {
    }

    record Conversation(long conversationId, String provider, String contact, String operationalState,
                        String repliedState, LastMessage lastMessage) {
    }

    record LastMessage(long messageId, boolean income, String text, String status, String icon, String details,
                       Instant at) {
    }

    /** Writing first is possible only on these (Pact's "Messages" help page). */
    private static final List<String> WRITE_FIRST_CHANNELS = List.of(PactWriteFirstRequest.WHATSAPP,
            PactWriteFirstRequest.WHATSAPP_BUSINESS, PactWriteFirstRequest.TELEGRAM_PERSONAL);
    private static final Logger LOG = LoggerFactory.getLogger(ContextController.class);

    private final WidgetAuth auth;
    private final InstallationRepository installations;
    private final ConversationLinkRepository conversations;
    private final MessageLinkRepository messages;
    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);

    ContextController(WidgetAuth auth, InstallationRepository installations, ConversationLinkRepository conversations,
                      MessageLinkRepository messages, List<CrmGateway> gateways) {
        this.auth = auth;
        this.installations = installations;
        this.conversations = conversations;
        this.messages = messages;
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
    }

    @Get
    Context context(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                    @QueryValue String entityType, @QueryValue String entityId) {
        Session session = auth.require(authorization);
        CardEntities.requireValid(entityType, entityId);
        Installation installation = installations.findById(session.installationId()).filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "the connector is not active here"));
        auth.requireOrigin(origin, installation);
        List<Conversation> linked = conversations.findByEntity(installation.id(), entityType, entityId).stream()
                .map(link -> conversation(installation, link)).toList();
        return new Context(entity(installation, entityType, entityId), linked, WRITE_FIRST_CHANNELS, List.of());
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
            LOG.warn("event=context_crm_unavailable entity={}:{} error={}", entityType, entityId, e.getMessage());
            return new Entity(entityType, entityId, null, List.of(), false);
        }
    }

    private Conversation conversation(Installation installation, ConversationLink link) {
        LastMessage last = messages.latestInConversation(installation.id(), link.pactConversationId())
                .map(m -> new LastMessage(m.pactMessageId(), m.income(), m.textPreview(), m.status().name(),
                        m.status().icon(), m.statusDetails(), m.pactCreatedAt() != null ? m.pactCreatedAt() : m.createdAt()))
                .orElse(null);
        return new Conversation(link.pactConversationId(), link.provider(),
                link.senderName() != null ? link.senderName() : link.senderPublicId(), link.operationalState(),
                link.repliedState(), last);
    }
}
