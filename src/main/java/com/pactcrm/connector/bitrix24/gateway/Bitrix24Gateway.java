package com.pactcrm.connector.bitrix24.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiException;
import com.pactcrm.connector.bitrix24.client.Bitrix24BatchResult;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.bitrix24.client.Bitrix24Query;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.bitrix24.sender.Bitrix24SenderMessageRepository;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmEntityRef;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.CrmPipeline;
import com.pactcrm.connector.crm.CrmUser;
import com.pactcrm.connector.crm.CrmPayloads.NewClientPayload;
import com.pactcrm.connector.crm.CrmPayloads.TaskPayload;
import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.crm.TimelineTexts;
import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bitrix24 behind the CRM port, always with the portal's stored installer tokens. Timeline entries are
 * timeline comments ({@code crm.timeline.comment.add}, edited in place with {@code crm.timeline.comment.update}
 * as a message's status advances; bitrix24.md §5.2 option 1): unlike log messages they can be updated, and
 * unlike configurable activities they need no per-portal activity type. All entries of one relay batch go in
 * one {@code batch} call (≤ 50 commands, one request against the portal's bucket, §7.1). A new comment whose earlier
 * batch may have been applied without its answer arriving is first looked for on its card (all lookups in one more
 * {@code batch}), and written only when it is not there. The ids of added or found comments are remembered so their
 * ONCRMTIMELINECOMMENTADD echo is not taken for a person's comment. Messages
 * sent through the connector's messageservice sender are shown by Bitrix24 itself; their statuses go out as
 * {@code messageservice.message.status.update} in the same batch instead of a comment.
 */
@Singleton
public class Bitrix24Gateway implements CrmGateway {

    /** crm.item entity type ids (bitrix24.md §5.1). */
    public static final int LEAD = 1;
    public static final int DEAL = 2;
    public static final int CONTACT = 3;
    private static final int MAX_CONTACTS_READ = 3;
    /** List methods answer pages of 50 (bitrix24.md §7.4). */
    private static final int PAGE = 50;
    /** 1,000 users: beyond that the mapping table is not the tool, and each page costs a request of the portal's budget. */
    private static final int MAX_USER_PAGES = 20;
    /** The "entry id" of a sender message's status: Bitrix24's message, not a comment of ours. */
    private static final String SENDER_ENTRY = "messageservice:";
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24Gateway.class);

    private final Bitrix24ApiClient api;
    private final Bitrix24TokenService tokens;
    private final Bitrix24TimelineEntryRepository ownEntries;
    private final Bitrix24SenderMessageRepository senderMessages;
    private final ObjectMapper json;

    public Bitrix24Gateway(Bitrix24ApiClient api, Bitrix24TokenService tokens, Bitrix24TimelineEntryRepository ownEntries,
                           Bitrix24SenderMessageRepository senderMessages, ObjectMapper json) {
        this.api = api;
        this.tokens = tokens;
        this.ownEntries = ownEntries;
        this.senderMessages = senderMessages;
        this.json = json;
    }

    @Override
    public CrmKind crm() {
        return CrmKind.BITRIX24;
    }

    @Override
    public Duration nextCallIn(Installation installation) {
        return api.nextCallIn(installation.crmAccountId());
    }

    @Override
    public int batchSize(CommandKind kind) {
        return Bitrix24ApiClient.MAX_BATCH;
    }

    /** "lead" → 1, "deal" → 2, "contact" → 3; anything else is not a card entity. */
    public static int entityTypeId(String entityType) {
        return switch (entityType) {
            case "lead" -> LEAD;
            case "deal" -> DEAL;
            case "contact" -> CONTACT;
            default -> throw new IllegalArgumentException("not a Bitrix24 card entity: " + entityType);
        };
    }

    @Override
    public List<DeliveryResult> writeTimeline(Installation installation, List<TimelineEntry> entries) {
        Map<Integer, String> senderMessages = senderMessages(installation, entries);
        DeliveryResult[] results = new DeliveryResult[entries.size()];
        Written first = write(installation, entries, IntStream.range(0, entries.size()).boxed().toList(), senderMessages,
                false, results);
        // A person may delete the connector's comment; its next status is then written as a new comment.
        Written readded = first.deleted().isEmpty() ? Written.NOTHING
                : write(installation, entries, first.deleted(), Map.of(), true, results);
        LOG.debug("event=bitrix24_timeline_written installationId={} entries={} failed={} rewritten={} lookedUp={} found={} "
                        + "senderStatuses={}", installation.id(), entries.size(),
                Arrays.stream(results).filter(r -> r instanceof DeliveryResult.Failed).count(), first.deleted().size(),
                first.lookedUp() + readded.lookedUp(), first.found() + readded.found(), senderMessages.size());
        return Arrays.asList(results);
    }

    /** What one {@link #write} did: entries whose comment is gone (to add instead), and what its lookup saw. */
    private record Written(List<Integer> deleted, int lookedUp, int found) {
        static final Written NOTHING = new Written(List.of(), 0, 0);
    }

    /**
     * One {@code batch} for the entries at {@code indexes}: sender statuses, edits of their comments and new comments,
     * after ambiguous new ones were looked up ({@link #lookUp}). Sets every entry's result but those whose comment
     * someone deleted (the edit answered {@code NOT_FOUND}) when {@code readding} is false: those are returned.
     *
     * @param readding the entries are added even when they name a comment: it was deleted
     */
    private Written write(Installation installation, List<TimelineEntry> entries, List<Integer> indexes,
                          Map<Integer, String> senderMessages, boolean readding, DeliveryResult[] results) {
        Map<Integer, String> edits = new LinkedHashMap<>();
        List<Integer> ambiguousAdds = new ArrayList<>();
        for (int i : indexes) {
            TimelineEntry entry = entries.get(i);
            if (senderMessages.containsKey(i)) {
                continue;
            }
            if (!readding && edits(entry)) {
                // An edit sets the whole text: sending it again after a lost answer changes nothing.
                edits.put(i, entry.existingEntryId());
            } else if (entry.ambiguous()) {
                ambiguousAdds.add(i);
            }
        }
        Map<Integer, String> foundEarlierStatus = lookUp(installation, entries, ambiguousAdds, results);
        edits.putAll(foundEarlierStatus);
        int found = (int) ambiguousAdds.stream().filter(i -> results[i] instanceof DeliveryResult.Delivered).count()
                + foundEarlierStatus.size();
        Map<String, String> commands = new LinkedHashMap<>();
        for (int i : indexes) {
            if (results[i] == null) {
                TimelineEntry entry = entries.get(i);
                commands.put(key(i), senderMessages.containsKey(i) ? senderStatusCommand(entry, senderMessages.get(i))
                        : edits.containsKey(i) ? updateCommand(entry, edits.get(i)) : addCommand(entry));
            }
        }
        if (commands.isEmpty()) {
            return new Written(List.of(), ambiguousAdds.size(), found);
        }
        Bitrix24BatchResult answer;
        try {
            answer = tokens.withPortal(installation.id(), portal -> api.batch(portal, commands));
        } catch (OutboundCallException e) {
            indexes.stream().filter(i -> commands.containsKey(key(i))).forEach(i -> results[i] = DeliveryResult.failed(e));
            return new Written(List.of(), ambiguousAdds.size(), found);
        }
        List<Integer> deleted = new ArrayList<>();
        for (int i : indexes) {
            String key = key(i);
            if (!commands.containsKey(key)) {
                continue;
            }
            TimelineEntry entry = entries.get(i);
            Bitrix24BatchResult.Error error = answer.errors().get(key);
            if (senderMessages.containsKey(i)) {
                results[i] = error != null ? refused(entry, error)
                        : DeliveryResult.delivered(SENDER_ENTRY + senderMessages.get(i), "messageservice status updated");
            } else if (edits.containsKey(i) && error != null && "NOT_FOUND".equals(error.error())) {
                if (readding) {
                    // The comment found by the lookup was deleted before the edit: the next attempt looks again.
                    results[i] = DeliveryResult.failed(new Bitrix24ApiException("Bitrix24 comment " + edits.get(i)
                            + " found on " + entry.entityType() + " " + entry.entityId() + " is gone", Disposition.RETRY,
                            200, error.error(), null, null, null, null));
                } else {
                    deleted.add(i);
                }
            } else if (error != null) {
                results[i] = refused(entry, error);
            } else if (foundEarlierStatus.containsKey(i)) {
                ownEntries.remember(installation.id(), edits.get(i));
                results[i] = DeliveryResult.delivered(edits.get(i), "comment found after an unanswered write, status edited");
            } else if (edits.containsKey(i)) {
                results[i] = DeliveryResult.delivered(edits.get(i), "comment updated");
            } else {
                String id = answer.results().get(key).asText();
                ownEntries.remember(installation.id(), id);
                results[i] = DeliveryResult.delivered(id, readding ? "comment added again" : "comment added");
            }
        }
        return new Written(deleted, ambiguousAdds.size(), found);
    }

    /**
     * New comments whose earlier attempt may have been applied though its answer was lost ({@link TimelineEntry#ambiguous()}:
     * a 5xx or a timeout after the batch was sent) are looked for among their entity's newest comments, all entities'
     * lookups in one {@code batch} ({@code crm.timeline.comment.list}, bitrix24.md §5.2, §7.1):
     * <ul>
     *   <li>a comment whose text is exactly the entry's is the entry, delivered as it is; each comment matches one
     *       entry, exact texts first;</li>
     *   <li>for a message status, a comment of the same message with another status (same marker and quoted text, other
     *       status words) is the entry too: it is returned, to be edited to the current status. This is the usual case,
     *       not a corner: while a lost "sent" waits for its retry, Pact's "delivered" replaces the waiting command's
     *       payload (the outbox keeps one pending command per message), so the retry carries a text the portal has not
     *       seen. Matching only exact texts would add a second comment for the message. Two messages with the same text
     *       on one card can be confused only while both are unresolved, and then each still gets one comment;</li>
     *   <li>comments the connector already knows as written ({@link Bitrix24TimelineEntryRepository}) are never taken:
     *       they belong to other entries, e.g. an earlier message with the same text ("Ok" twice on one card is common,
     *       and a history copy's text never changes). The price is one duplicate in a narrow case: the process dies
     *       after a batch was answered and its ids remembered, but before the relay marked the commands done.</li>
     * </ul>
     * The lookup reads the 50 newest comments (the method's fixed page): a retry comes minutes after its lost write, so a
     * card would need 50 newer comments in between to hide it. A lookup that fails leaves its entries failed, to be retried
     * (and looked up) later; nothing is added for them.
     *
     * @return entries to write as an edit of the returned comment (of the same message, with an older status)
     */
    private Map<Integer, String> lookUp(Installation installation, List<TimelineEntry> entries, List<Integer> ambiguous,
                                        DeliveryResult[] results) {
        if (ambiguous.isEmpty()) {
            return Map.of();
        }
        Map<String, List<Integer>> byEntity = new LinkedHashMap<>();
        for (int i : ambiguous) {
            TimelineEntry entry = entries.get(i);
            byEntity.computeIfAbsent(entry.entityType() + ":" + entry.entityId(), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> groups = new ArrayList<>(byEntity.values());
        Map<String, String> commands = new LinkedHashMap<>();
        for (int n = 0; n < groups.size(); n++) {
            commands.put(lookupKey(n), listCommand(entries.get(groups.get(n).get(0))));
        }
        Bitrix24BatchResult answer;
        try {
            answer = tokens.withPortal(installation.id(), portal -> api.batch(portal, commands));
        } catch (OutboundCallException e) {
            ambiguous.forEach(i -> results[i] = DeliveryResult.failed(e));
            return Map.of();
        }
        Map<String, List<FoundComment>> listed = new LinkedHashMap<>();
        Set<String> ids = new HashSet<>();
        for (int n = 0; n < groups.size(); n++) {
            JsonNode page = answer.results().get(lookupKey(n));
            if (page != null) {
                List<FoundComment> comments = new ArrayList<>();
                for (JsonNode c : page) {
                    comments.add(new FoundComment(c.path("ID").asText(), normalized(c.path("COMMENT").asText(""))));
                }
                listed.put(lookupKey(n), comments);
                comments.forEach(c -> ids.add(c.id()));
            }
        }
        Set<String> known = ids.isEmpty() ? Set.of() : new HashSet<>(ownEntries.findOwn(installation.id(), ids));
        Map<Integer, String> earlierStatus = new LinkedHashMap<>();
        for (int n = 0; n < groups.size(); n++) {
            List<Integer> candidates = groups.get(n);
            Bitrix24BatchResult.Error error = answer.errors().get(lookupKey(n));
            if (error != null) {
                TimelineEntry entry = entries.get(candidates.get(0));
                OutboundCallException failed = new Bitrix24ApiException("Bitrix24 could not list the comments of "
                        + entry.entityType() + " " + entry.entityId() + " to look for an unanswered write: " + error.error()
                        + " " + error.description(), Disposition.RETRY, 200, error.error(), null, null, null, null);
                candidates.forEach(i -> results[i] = DeliveryResult.failed(failed));
                continue;
            }
            List<FoundComment> comments = new ArrayList<>(listed.get(lookupKey(n)));
            comments.removeIf(c -> known.contains(c.id()));
            for (int i : candidates) {
                String text = normalized(Bitrix24TimelineComments.textOf(entries.get(i)));
                take(comments, c -> c.text().equals(text)).ifPresent(c -> {
                    ownEntries.remember(installation.id(), c.id());
                    results[i] = DeliveryResult.delivered(c.id(), "comment found after an unanswered write");
                });
            }
            for (int i : candidates) {
                if (results[i] == null && entries.get(i).status() != null) {
                    String sameMessage = Bitrix24TimelineComments.messagePrefix(entries.get(i));
                    take(comments, c -> c.text().startsWith(sameMessage)).ifPresent(c -> earlierStatus.put(i, c.id()));
                }
            }
        }
        return earlierStatus;
    }

    /** A comment as {@code crm.timeline.comment.list} answered it, its text {@link #normalized}. */
    private record FoundComment(String id, String text) {
    }

    private static Optional<FoundComment> take(List<FoundComment> comments, Predicate<FoundComment> matching) {
        Optional<FoundComment> found = comments.stream().filter(matching).findFirst();
        found.ifPresent(comments::remove);
        return found;
    }

    /**
     * Bitrix24 answers a comment's text as it stored it (the REST proxy returns the stored COMMENT column; our texts have
     * no BB-code); only line breaks and surrounding blanks are not compared, in case a portal stores those differently.
     */
    private static String normalized(String text) {
        return text.replace("\r\n", "\n").strip();
    }

    /**
     * The entity's 50 newest comments, their id and text only. The filter must name ENTITY_ID and ENTITY_TYPE, and
     * {@code select} is given because older portals answer no fields without it (bitrix24.md §5.2).
     */
    private String listCommand(TimelineEntry entry) {
        ObjectNode p = json.createObjectNode();
        p.putObject("filter").put("ENTITY_ID", entry.entityId()).put("ENTITY_TYPE", entry.entityType());
        p.putObject("order").put("ID", "DESC");
        p.putArray("select").add("ID").add("COMMENT");
        return Bitrix24Query.command("crm.timeline.comment.list", p);
    }

    /**
     * Status entries of messages that came from the sender: Bitrix24 shows those itself and takes their status with
     * {@code messageservice.message.status.update} instead of a comment of ours (bitrix24.md §6.3).
     */
    private Map<Integer, String> senderMessages(Installation installation, List<TimelineEntry> entries) {
        Map<Integer, String> found = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            TimelineEntry entry = entries.get(i);
            if (entry.status() != null) {
                int index = i;
                senderMessages.findByPactMessage(installation.id(), Long.toString(entry.status().messageId()))
                        .ifPresent(id -> found.put(index, id));
            }
        }
        return found;
    }

    /**
     * Pact's clock (its "sent": accepted, not yet at the messenger) is Bitrix24's {@code queued}; one tick is the messenger
     * having it, {@code delivered}; Bitrix24 has no "read", so two ticks stay {@code delivered}; an error is
     * {@code failed} (bitrix24.md §6.3).
     */
    private String senderStatusCommand(TimelineEntry entry, String bitrixMessageId) {
        String status = switch (entry.status().status()) {
            case "DELIVERED", "READ" -> "delivered";
            case "ERROR" -> "failed";
            default -> "queued";
        };
        ObjectNode p = json.createObjectNode().put("CODE", Bitrix24Installer.SENDER_CODE).put("MESSAGE_ID", bitrixMessageId)
                .put("STATUS", status);
        return Bitrix24Query.command("messageservice.message.status.update", p);
    }

    private static DeliveryResult refused(TimelineEntry entry, Bitrix24BatchResult.Error error) {
        return DeliveryResult.failed(new Bitrix24ApiException("Bitrix24 refused timeline entry on " + entry.entityType()
                + " " + entry.entityId() + ": " + error.error() + " " + error.description(), Disposition.PERMANENT, 200,
                error.error(), null, null, null, null));
    }

    private static String key(int index) {
        return "e" + index;
    }

    private static String lookupKey(int group) {
        return "l" + group;
    }

    private static boolean edits(TimelineEntry entry) {
        return entry.status() != null && entry.existingEntryId() != null;
    }

    /** Only lowercase {@code fields} is accepted since crm 23.100.0 (bitrix24.md §8.2). */
    private String addCommand(TimelineEntry entry) {
        ObjectNode p = json.createObjectNode();
        p.putObject("fields").put("ENTITY_ID", entry.entityId()).put("ENTITY_TYPE", entry.entityType())
                .put("COMMENT", Bitrix24TimelineComments.textOf(entry));
        return Bitrix24Query.command("crm.timeline.comment.add", p);
    }

    /** The update names its owner as the current docs ask (crm.timeline.comment.update: id, ownerTypeId, ownerId, fields). */
    private String updateCommand(TimelineEntry entry, String commentId) {
        ObjectNode p = json.createObjectNode().put("id", commentId)
                .put("ownerTypeId", entityTypeId(entry.entityType())).put("ownerId", entry.entityId());
        p.putObject("fields").put("COMMENT", Bitrix24TimelineComments.textOf(entry));
        return Bitrix24Query.command("crm.timeline.comment.update", p);
    }

    @Override
    public Optional<CrmEntity> entity(Installation installation, String entityType, String entityId) {
        return tokens.withPortal(installation.id(), portal -> {
            Optional<JsonNode> item = item(portal, entityTypeId(entityType), entityId);
            if (item.isEmpty()) {
                return Optional.empty();
            }
            JsonNode it = item.get();
            List<String> phones = new ArrayList<>(phones(it));
            if (!"contact".equals(entityType)) {
                // A lead or deal's client phones are on its contacts; read the first few in one batch.
                Map<String, String> reads = new LinkedHashMap<>();
                for (JsonNode contactId : it.path("contactIds")) {
                    if (reads.size() < MAX_CONTACTS_READ) {
                        reads.put("c" + contactId.asText(), Bitrix24Query.command("crm.item.get",
                                json.createObjectNode().put("entityTypeId", CONTACT).put("id", contactId.asText())));
                    }
                }
                if (!reads.isEmpty()) {
                    api.batch(portal, reads).results().values().forEach(c -> phones.addAll(phones(c.path("item"))));
                }
            }
            String name = "contact".equals(entityType)
                    ? (it.path("name").asText("") + " " + it.path("lastName").asText("")).strip()
                    : it.path("title").asText("");
            return Optional.of(new CrmEntity(entityType, entityId, name, phones.stream().distinct().toList()));
        });
    }

    /** {@code crm.item.get}'s {@code item}; empty when the portal has no such entity. */
    public Optional<JsonNode> item(Bitrix24Portal portal, int entityTypeId, String id) {
        try {
            return Optional.of(api.call(portal, "crm.item.get",
                    json.createObjectNode().put("entityTypeId", entityTypeId).put("id", id)).path("item"));
        } catch (Bitrix24ApiException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Multifields in {@code fm}: {@code [{typeId: PHONE, value}]} (bitrix24.md §5.1); digits only. */
    private static List<String> phones(JsonNode item) {
        List<String> phones = new ArrayList<>();
        for (JsonNode f : item.path("fm")) {
            if ("PHONE".equals(f.path("typeId").asText())) {
                Phone phone = Phone.of(f.path("value").asText(""));
                if (!phone.isEmpty()) {
                    phones.add(phone.digits());
                }
            }
        }
        return phones;
    }

    /**
     * The client's open work, else new work (bitrix24.md §5.1):
     * <ol>
     *   <li>contacts and leads holding the phone ({@code crm.duplicate.findbycomm} for CONTACT and LEAD, one
     *       {@code batch});</li>
     *   <li>the contact's newest deal not closed ({@code crm.deal.list}, {@code CLOSED=N}) or the newest of those leads
     *       still in progress ({@code STATUS_SEMANTIC_ID=P}), with the contact's responsible, in a second {@code batch};</li>
     *   <li>nothing open (a new client, or a returning one whose deals and leads are all closed): a lead
     *       ({@code crm.lead.add}, its status from the mapped stage) or a deal ({@code crm.item.add} in the mapped category
     *       and stage), on the found contact or a new one (a lead holds the phone itself when there is none).</li>
     * </ol>
     */
    @Override
    public CrmEntityRef findOrCreateClient(Installation installation, NewClientPayload client) {
        InstallationSettings settings = InstallationSettings.of(installation.settings());
        InstallationSettings.Stage stage = settings.newClientStage(client.provider())
                .orElse(new InstallationSettings.Stage(null, null));
        return tokens.withPortal(installation.id(), portal -> findOrCreate(portal, client, stage,
                settings.newClientResponsible()));
    }

    private CrmEntityRef findOrCreate(Bitrix24Portal portal, NewClientPayload client, InstallationSettings.Stage stage,
                                      String rule) {
        Phone phone = Phone.of(client.phone());
        String name = client.name() != null && !client.name().isBlank() ? client.name() : phone.international();
        String contactId = null;
        String responsible = client.responsibleUserId();
        if (!phone.isEmpty()) {
            Map<String, String> find = new LinkedHashMap<>();
            find.put("contacts", findByPhoneCommand("CONTACT", phone));
            find.put("leads", findByPhoneCommand("LEAD", phone));
            Bitrix24BatchResult found = api.batch(portal, find);
            JsonNode contacts = found.results().getOrDefault("contacts", json.nullNode()).path("CONTACT");
            JsonNode leads = found.results().getOrDefault("leads", json.nullNode()).path("LEAD");
            contactId = contacts.isArray() && !contacts.isEmpty() ? contacts.get(0).asText() : null;
            Map<String, String> open = new LinkedHashMap<>();
            if (contactId != null) {
                ObjectNode deals = json.createObjectNode();
                deals.putObject("filter").put("CONTACT_ID", contactId).put("CLOSED", "N");
                deals.putObject("order").put("ID", "DESC");
                deals.putArray("select").add("ID");
                open.put("deals", Bitrix24Query.command("crm.deal.list", deals));
                open.put("contact", Bitrix24Query.command("crm.item.get",
                        json.createObjectNode().put("entityTypeId", CONTACT).put("id", contactId)));
            }
            if (leads.isArray() && !leads.isEmpty()) {
                ObjectNode inProgress = json.createObjectNode();
                ObjectNode filter = inProgress.putObject("filter").put("STATUS_SEMANTIC_ID", "P");
                leads.forEach(filter.putArray("ID")::add);
                inProgress.putObject("order").put("ID", "DESC");
                inProgress.putArray("select").add("ID");
                open.put("leads", Bitrix24Query.command("crm.lead.list", inProgress));
            }
            if (!open.isEmpty()) {
                Bitrix24BatchResult answer = api.batch(portal, open);
                JsonNode deal = answer.results().getOrDefault("deals", json.nullNode()).path(0).path("ID");
                if (!deal.isMissingNode() && !deal.asText().isEmpty()) {
                    return new CrmEntityRef("deal", deal.asText());
                }
                JsonNode lead = answer.results().getOrDefault("leads", json.nullNode()).path(0).path("ID");
                if (!lead.isMissingNode() && !lead.asText().isEmpty()) {
                    return new CrmEntityRef("lead", lead.asText());
                }
                String owner = answer.results().getOrDefault("contact", json.nullNode()).path("item")
                        .path("assignedById").asText("");
                if ("contactOwner".equals(rule) && !owner.isEmpty()) {
                    responsible = owner;
                }
            }
        }
        if (stage.lead()) {
            return new CrmEntityRef("lead", addLead(portal, name, phone, contactId, stage, responsible), true);
        }
        boolean newContact = contactId == null;
        if (newContact) {
            ObjectNode contact = json.createObjectNode().put("entityTypeId", CONTACT);
            ObjectNode fields = contact.putObject("fields").put("name", name);
            if (responsible != null) {
                fields.put("assignedById", responsible);
            }
            if (!phone.isEmpty()) {
                fields.putArray("fm").addObject().put("typeId", "PHONE").put("valueType", "WORK")
                        .put("value", phone.international());
            }
            contactId = api.call(portal, "crm.item.add", contact).path("item").path("id").asText();
        }
        try {
            ObjectNode deal = json.createObjectNode().put("entityTypeId", DEAL);
            ObjectNode dealFields = deal.putObject("fields").put("title", name + " — Pact");
            if (stage.pipelineId() != null) {
                dealFields.put("categoryId", stage.pipelineId());
            }
            if (stage.stageId() != null && !stage.stageId().isBlank()) {
                dealFields.put("stageId", stage.stageId());
            }
            if (responsible != null) {
                dealFields.put("assignedById", responsible);
            }
            dealFields.putArray("contactIds").add(Long.parseLong(contactId));
            String dealId = api.call(portal, "crm.item.add", deal).path("item").path("id").asText();
            return new CrmEntityRef("deal", dealId, true);
        } catch (OutboundCallException e) {
            if (!newContact) {
                throw e;
            }
            // The contact exists now: retrying the whole command could create a second one, so the conversation is
            // linked to the contact and the missing deal is reported.
            LOG.warn("event=bitrix24_deal_not_created memberId={} contact={} error=\"{}\"", portal.memberId(), contactId,
                    e.getMessage());
            return new CrmEntityRef("contact", contactId);
        }
    }

    /** {@code crm.lead.add} (classic fields: TITLE, NAME, STATUS_ID, PHONE multifield, CONTACT_ID); returns the id. */
    private String addLead(Bitrix24Portal portal, String name, Phone phone, String contactId,
                           InstallationSettings.Stage stage, String responsible) {
        ObjectNode lead = json.createObjectNode();
        ObjectNode fields = lead.putObject("fields").put("TITLE", name + " — Pact").put("NAME", name);
        if (stage.stageId() != null && !stage.stageId().isBlank()) {
            fields.put("STATUS_ID", stage.stageId());
        }
        if (responsible != null) {
            fields.put("ASSIGNED_BY_ID", responsible);
        }
        if (contactId != null) {
            fields.put("CONTACT_ID", contactId);
        } else if (!phone.isEmpty()) {
            fields.putArray("PHONE").addObject().put("VALUE", phone.international()).put("VALUE_TYPE", "WORK");
        }
        return api.call(portal, "crm.lead.add", lead).asText();
    }

    private String findByPhoneCommand(String entityType, Phone phone) {
        ObjectNode find = json.createObjectNode().put("type", "PHONE").put("entity_type", entityType);
        find.putArray("values").add(phone.international());
        return Bitrix24Query.command("crm.duplicate.findbycomm", find);
    }

    /**
     * A to-do activity on the card ({@code crm.activity.todo.add}: ownerTypeId, ownerId, deadline, title, description,
     * responsibleId; https://dev.1c-bitrix.ru/rest_help/crm/rest_activity/todo/crm_activity_todo_add.php), for the
     * entity's responsible (read in the same {@code batch}, chained with {@code $result}).
     */
    @Override
    public Optional<String> openTask(Installation installation, TaskPayload task) {
        String language = InstallationSettings.of(installation.settings()).language();
        return tokens.withPortal(installation.id(), portal -> {
            Map<String, String> calls = new LinkedHashMap<>();
            calls.put("owner", Bitrix24Query.command("crm.item.get", json.createObjectNode()
                    .put("entityTypeId", entityTypeId(task.entityType())).put("id", task.entityId())));
            ObjectNode todo = json.createObjectNode().put("ownerTypeId", entityTypeId(task.entityType()))
                    .put("ownerId", task.entityId())
                    .put("deadline", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(task.dueAt().atOffset(ZoneOffset.UTC)))
                    .put("title", TimelineTexts.taskText(task, language))
                    .put("description", TimelineTexts.taskText(task, language))
                    .put("responsibleId", "$result[owner][item][assignedById]");
            calls.put("todo", Bitrix24Query.command("crm.activity.todo.add", todo));
            Bitrix24BatchResult answer = api.batch(portal, calls);
            Bitrix24BatchResult.Error error = answer.errors().get("todo");
            if (error != null) {
                throw new Bitrix24ApiException("Bitrix24 refused the to-do on " + task.entityType() + " " + task.entityId()
                        + ": " + error.error() + " " + error.description(), Disposition.PERMANENT, 200, error.error(),
                        null, null, null, null);
            }
            return Optional.of(answer.results().get("todo").path("id").asText());
        });
    }

    /** {@code crm.activity.update} with {@code COMPLETED=Y} (the classic method closes any activity, to-dos included). */
    @Override
    public void closeTask(Installation installation, TaskPayload task, String crmTaskId) {
        tokens.withPortal(installation.id(), portal -> {
            ObjectNode update = json.createObjectNode().put("id", crmTaskId);
            update.putObject("fields").put("COMPLETED", "Y");
            return api.call(portal, "crm.activity.update", update);
        });
    }

    /**
     * Leads (their statuses, {@code crm.status.list} ENTITY_ID {@code STATUS}) and each deal category with its stages
     * ({@code crm.category.list} for deals, then {@code crm.status.list} ENTITY_ID {@code DEAL_STAGE} for the default
     * category 0 and {@code DEAL_STAGE_<id>} for the others), two {@code batch} calls; closing stages (semantics S, F)
     * are not offered.
     */
    @Override
    public List<CrmPipeline> pipelines(Installation installation) {
        return tokens.withPortal(installation.id(), portal -> {
            Map<String, String> first = new LinkedHashMap<>();
            first.put("categories", Bitrix24Query.command("crm.category.list", json.createObjectNode().put("entityTypeId", DEAL)));
            first.put("lead", statusList("STATUS"));
            Bitrix24BatchResult answer = api.batch(portal, first);
            List<CrmPipeline> out = new ArrayList<>();
            out.add(new CrmPipeline("lead", null, "Leads", stages(answer.results().get("lead"))));
            Map<String, String> stages = new LinkedHashMap<>();
            Map<String, String> names = new LinkedHashMap<>();
            for (JsonNode c : answer.results().getOrDefault("categories", json.nullNode()).path("categories")) {
                String id = c.path("id").asText();
                names.put(id, c.path("name").asText());
                stages.put("c" + id, statusList("0".equals(id) ? "DEAL_STAGE" : "DEAL_STAGE_" + id));
            }
            if (!stages.isEmpty()) {
                Bitrix24BatchResult dealStages = api.batch(portal, stages);
                names.forEach((id, name) -> out.add(new CrmPipeline("deal", Long.parseLong(id), name,
                        stages(dealStages.results().get("c" + id)))));
            }
            return out;
        });
    }

    private String statusList(String entityId) {
        ObjectNode p = json.createObjectNode();
        p.putObject("filter").put("ENTITY_ID", entityId);
        p.putObject("order").put("SORT", "ASC");
        return Bitrix24Query.command("crm.status.list", p);
    }

    private static List<CrmPipeline.Stage> stages(JsonNode statuses) {
        List<CrmPipeline.Stage> out = new ArrayList<>();
        if (statuses != null) {
            for (JsonNode st : statuses) {
                String semantics = st.path("SEMANTICS").asText("");
                if (!"S".equals(semantics) && !"F".equals(semantics)) {
                    out.add(new CrmPipeline.Stage(st.path("STATUS_ID").asText(), st.path("NAME").asText()));
                }
            }
        }
        return out;
    }

    /** The dry run's read-only half of {@link #findOrCreateClient}: the same lookup, so it predicts what would happen. */
    @Override
    public Optional<CrmEntityRef> findClientByPhone(Installation installation, String phone) {
        Phone stored = Phone.of(phone);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        return tokens.withPortal(installation.id(), portal -> findContact(portal, stored));
    }

    /** {@code crm.duplicate.findbycomm} among contacts: no match is an empty array, a match {@code {"CONTACT": [ids]}}. */
    private Optional<CrmEntityRef> findContact(Bitrix24Portal portal, Phone phone) {
        ObjectNode find = json.createObjectNode().put("type", "PHONE").put("entity_type", "CONTACT");
        find.putArray("values").add(phone.international());
        JsonNode found = api.call(portal, "crm.duplicate.findbycomm", find).path("CONTACT");
        return found.isArray() && !found.isEmpty() ? Optional.of(new CrmEntityRef("contact", found.get(0).asText()))
                : Optional.empty();
    }

    /**
     * The portal's active employees ({@code user.get}; extranet and e-mail users cannot own CRM entities), read by
     * ascending id with a {@code >ID} filter: each page is the first of what is left, so no page is skipped or read
     * twice while users are added, and no count beyond the first page is needed (bitrix24.md §7.4).
     */
    @Override
    public List<CrmUser> users(Installation installation) {
        return tokens.withPortal(installation.id(), portal -> {
            List<CrmUser> users = new ArrayList<>();
            long after = 0;
            for (int page = 0; page < MAX_USER_PAGES; page++) {
                ObjectNode query = json.createObjectNode().put("sort", "ID").put("order", "ASC");
                query.putObject("FILTER").put(">ID", after).put("ACTIVE", true).put("USER_TYPE", "employee");
                JsonNode found = api.call(portal, "user.get", query);
                for (JsonNode u : found) {
                    after = Math.max(after, u.path("ID").asLong());
                    users.add(user(u));
                }
                if (found.size() < PAGE) {
                    return users;
                }
            }
            LOG.warn("event=bitrix24_users_truncated installationId={} users={}", installation.id(), users.size());
            return users;
        });
    }

    /** A name as the portal shows it; the e-mail only with the {@code user_basic}/{@code user} scope. */
    private static CrmUser user(JsonNode u) {
        String name = (u.path("NAME").asText("") + " " + u.path("LAST_NAME").asText("")).strip();
        String email = u.path("EMAIL").asText("").strip();
        return new CrmUser(u.path("ID").asText(), name.isEmpty() ? (email.isEmpty() ? "#" + u.path("ID").asText() : email) : name,
                email.isEmpty() ? null : email);
    }
}
