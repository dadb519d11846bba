package com.pactcrm.connector.bitrix24.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiException;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24Gateway;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24TimelineComments;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24TimelineEntryRepository;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.chat.CommentUseCase;
import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.ResponsibleUseCase;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.InboundEvent;
import com.pactcrm.connector.sync.inbound.InboundEventHandler;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journaled Bitrix24 events → the CRM-agnostic use-cases. Payloads carry only ids (bitrix24.md §3.2), so the
 * entity or comment is read from the portal with the stored installer tokens (event tokens may be missing or
 * a low-privilege user's):
 * <ul>
 *   <li>an entity UPDATE re-reads {@code assignedById} with {@code crm.item.get} — only for entities with a Pact
 *       conversation — and sets the Pact assignee when it differs from the value stored on the link;</li>
 *   <li>a timeline comment is read with {@code crm.timeline.comment.get}; the connector's own comments (ids
 *       remembered by the gateway, or the {@link Bitrix24TimelineComments#MARKER}) are skipped, a person's
 *       becomes the Pact client-card comment.</li>
 * </ul>
 * A health failure (re-authorisation, payment) is recorded and the event ends there: retrying cannot help.
 */
@Singleton
class Bitrix24InboundEventHandler implements InboundEventHandler {

    private static final Set<String> CARD_ENTITIES = Set.of("lead", "deal", "contact");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24InboundEventHandler.class);

    private final Bitrix24TokenService tokens;
    private final Bitrix24ApiClient api;
    private final Bitrix24Gateway gateway;
    private final ConversationLinkRepository conversations;
    private final Bitrix24ResponsibleRepository responsibles;
    private final Bitrix24TimelineEntryRepository ownEntries;
    private final UserMappingRepository users;
    private final ResponsibleUseCase responsible;
    private final CommentUseCase comments;
    private final InstallationHealthRepository health;
    private final ObjectMapper json;
    private final StartChatUseCase startChat;

    Bitrix24InboundEventHandler(Bitrix24TokenService tokens, Bitrix24ApiClient api, Bitrix24Gateway gateway,
                                ConversationLinkRepository conversations, Bitrix24ResponsibleRepository responsibles,
                                Bitrix24TimelineEntryRepository ownEntries, UserMappingRepository users,
                                ResponsibleUseCase responsible, CommentUseCase comments,
                                InstallationHealthRepository health, ObjectMapper json, StartChatUseCase startChat) {
        this.tokens = tokens;
        this.api = api;
        this.gateway = gateway;
        this.conversations = conversations;
        this.responsibles = responsibles;
        this.ownEntries = ownEntries;
        this.users = users;
        this.responsible = responsible;
        this.comments = comments;
        this.health = health;
        this.json = json;
        this.startChat = startChat;
    }

    @Override
    public EventSource source() {
        return EventSource.BITRIX24;
    }

    @Override
    public String handle(InboundEvent event, Installation installation) {
        Bitrix24Event e = Bitrix24EventTranslator.translate(event.body());
        try {
            if (e instanceof Bitrix24Event.EntityUpdated u) {
                return entityUpdated(installation, u, event.id());
            }
            if (e instanceof Bitrix24Event.CommentAdded c) {
                return commentAdded(installation, c, event.id());
            }
            if (e instanceof Bitrix24Event.RobotTriggered r) {
                return robot(installation, r);
            }
            return ((Bitrix24Event.Ignored) e).reason();
        } catch (OutboundCallException ex) {
            if (ex.disposition() != Disposition.HEALTH) {
                throw ex;
            }
            ex.healthComponent().ifPresent(component ->
                    health.record(installation.id(), component, ex.healthState().orElse("ERROR"), ex.getMessage()));
            LOG.warn("event=bitrix24_event_skipped installationId={} eventId={} health={}", installation.id(), event.id(),
                    ex.healthState().orElse(null));
            return "skipped: " + ex.healthState().orElse("health") + " (" + ex.getMessage() + ")";
        }
    }

    private String entityUpdated(Installation installation, Bitrix24Event.EntityUpdated u, long eventId) {
        List<ConversationLink> links = conversations.findByEntity(installation.id(), u.entityType(), u.entityId());
        if (links.isEmpty()) {
            return u.entityType() + " " + u.entityId() + " has no Pact conversation";
        }
        Optional<JsonNode> item = tokens.withPortal(installation.id(),
                portal -> gateway.item(portal, Bitrix24Gateway.entityTypeId(u.entityType()), u.entityId()));
        if (item.isEmpty()) {
            return u.entityType() + " " + u.entityId() + " no longer exists in Bitrix24";
        }
        String assigned = item.get().path("assignedById").asText(null);
        if (assigned == null || assigned.isEmpty()) {
            return u.entityType() + " " + u.entityId() + " has no assignedById";
        }
        if (links.stream().allMatch(l -> assigned.equals(l.crmResponsibleId()))) {
            return "responsible of " + u.entityType() + " " + u.entityId() + " unchanged (" + assigned + ")";
        }
        responsibles.remember(installation.id(), u.entityType(), u.entityId(), assigned);
        LOG.info("event=bitrix24_responsible_changed installationId={} eventId={} entity={}:{} responsible={}",
                installation.id(), eventId, u.entityType(), u.entityId(), assigned);
        return responsible.apply(installation, u.entityType(), u.entityId(), assigned, eventId);
    }

    /**
     * The robot's message goes to the entity's first phone (its own, or its contacts'), as a Pact "write first" whose
     * request id is the workflow's {@code event_token}: the same trigger is one message, however often it is journaled.
     */
    private String robot(Installation installation, Bitrix24Event.RobotTriggered r) {
        Optional<CrmEntity> entity = gateway.entity(installation, r.entityType(), r.entityId());
        if (entity.isEmpty()) {
            return r.entityType() + " " + r.entityId() + " no longer exists in Bitrix24; nothing sent";
        }
        if (entity.get().phones().isEmpty()) {
            return r.entityType() + " " + r.entityId() + " has no phone; nothing sent";
        }
        String phone = entity.get().phones().get(0);
        PactWriteFirstRequest request;
        if (r.wabaId() != null) {
            request = PactWriteFirstRequest.waba(phone, r.wabaId(), r.substitutions());
        } else if (r.text() != null && !r.text().isBlank() && r.text().length() <= PactWriteFirstRequest.MAX_TEXT) {
            request = PactWriteFirstRequest.whatsapp(phone, r.text());
        } else {
            return "robot on " + r.entityType() + " " + r.entityId() + " has neither a text (up to "
                    + PactWriteFirstRequest.MAX_TEXT + " characters) nor a WABA template; nothing sent";
        }
        boolean queued = startChat.start(installation, "robot:" + r.eventToken(), r.entityType(), r.entityId(), request);
        return "robot on " + r.entityType() + " " + r.entityId() + ": Pact message " + (queued ? "queued" : "already queued");
    }

    private String commentAdded(Installation installation, Bitrix24Event.CommentAdded c, long eventId) {
        if (ownEntries.countOwn(installation.id(), c.commentId()) > 0) {
            return "comment " + c.commentId() + " is the connector's own";
        }
        JsonNode comment;
        try {
            comment = tokens.withPortal(installation.id(), portal -> api.call(portal, "crm.timeline.comment.get",
                    json.createObjectNode().put("id", c.commentId())));
        } catch (Bitrix24ApiException e) {
            if (e.isNotFound()) {
                return "comment " + c.commentId() + " no longer exists";
            }
            throw e;
        }
        String entityType = comment.path("ENTITY_TYPE").asText("").toLowerCase();
        String entityId = comment.path("ENTITY_ID").asText("");
        String text = comment.path("COMMENT").asText("");
        if (!CARD_ENTITIES.contains(entityType)) {
            return "comment " + c.commentId() + " on " + entityType + " not followed";
        }
        if (text.startsWith(Bitrix24TimelineComments.MARKER)) {
            return "comment " + c.commentId() + " is the connector's own";
        }
        String author = author(installation, comment.path("AUTHOR_ID").asText(null));
        return comments.apply(installation, entityType, entityId, author, text, created(comment), eventId);
    }

    /** The mapped user's name, else the portal's ({@code user.get}, scope {@code user}). */
    private String author(Installation installation, String authorId) {
        if (authorId == null || authorId.isEmpty()) {
            return null;
        }
        Optional<String> mapped = users.findByCrmUser(installation.id(), authorId).map(UserMapping::crmUserName);
        if (mapped.isPresent()) {
            return mapped.get();
        }
        ObjectNode filter = json.createObjectNode();
        filter.putObject("FILTER").put("ID", authorId);
        JsonNode found = tokens.withPortal(installation.id(), portal -> api.call(portal, "user.get", filter));
        if (!found.isArray() || found.isEmpty()) {
            return null;
        }
        String name = (found.get(0).path("NAME").asText("") + " " + found.get(0).path("LAST_NAME").asText("")).strip();
        return name.isEmpty() ? null : name;
    }

    private static Instant created(JsonNode comment) {
        try {
            return OffsetDateTime.parse(comment.path("CREATED").asText("")).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
