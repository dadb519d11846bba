package com.pactcrm.connector.amocrm.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.amocrm.client.AmoCrmApiClient;
import com.pactcrm.connector.amocrm.client.AmoCrmApiException;
import com.pactcrm.connector.amocrm.client.AmoCrmBatchException;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmContact;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmLead;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNewNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteType;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteUpdate;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmPage;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmUser;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenService;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmEntityRef;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.CrmPipeline;
import com.pactcrm.connector.crm.CrmUser;
import com.pactcrm.connector.crm.CrmPayloads.NewClientPayload;
import com.pactcrm.connector.crm.CrmPayloads.TaskPayload;
import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.crm.TimelineTexts;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * amoCRM behind the CRM port. Timeline entries are {@code service_message} notes of service "Pact"
 * (amocrm.md §4.4): visibly the connector's, and never mistaken for a person's note, so they cannot
 * loop back as a Pact comment. A message's status note is edited in place as the status advances,
 * unless amoCRM refuses ({@link AmoCrmStatusNoteEdits}); then every status that survives coalescing is
 * a note of its own.
 */
@Singleton
public class AmoCrmGateway implements CrmGateway {

    static final String SERVICE = "Pact";
    /** A lead in stage 142 (won) or 143 (lost) is closed, in every pipeline (Kommo reference "Pipelines and stages"). */
    static final Set<Long> CLOSED_STATUSES = Set.of(142L, 143L);
    private static final int MAX_CONTACTS_READ = 3;
    /** How far back an unanswered note write is looked for; the relay retries within minutes, not days. */
    private static final Duration NOTE_LOOKUP_WINDOW = Duration.ofDays(2);
    /** 250 users a page: ten pages cover any account that maps users by hand. */
    private static final int MAX_USER_PAGES = 10;
    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmGateway.class);

    private final AmoCrmApiClient api;
    private final AmoCrmTokenService tokens;
    private final AmoCrmStatusNoteEdits statusNoteEdits;
    private final Clock clock;

    public AmoCrmGateway(AmoCrmApiClient api, AmoCrmTokenService tokens,
                         AmoCrmStatusNoteEdits statusNoteEdits, Clock clock) {
        this.api = api;
        this.tokens = tokens;
        this.statusNoteEdits = statusNoteEdits;
        this.clock = clock;
    }

    @Override
    public CrmKind crm() {
        return CrmKind.AMOCRM;
    }

    @Override
    public Duration nextCallIn(Installation installation) {
        return installation.crmHost() == null ? Duration.ZERO : api.nextCallIn(installation.crmHost());
    }

    @Override
    public int batchSize(CommandKind kind) {
        return AmoCrmApiClient.MAX_NOTES_PER_REQUEST;
    }

    /** A status whose note exists is a {@code PATCH} of that entity's notes; everything else one {@code POST} (§4.4). */
    @Override
    public String timelineEndpoint(Installation installation, TimelineEntry entry) {
        boolean edit = entry.status() != null && entry.existingEntryId() != null && statusNoteEdits.editing(installation.id());
        return (edit ? "PATCH " : "POST ") + apiEntity(entry.entityType()) + "/notes";
    }

    @Override
    public List<DeliveryResult> writeTimeline(Installation installation, List<TimelineEntry> entries) {
        return withFreshToken(installation, account -> writeTimeline(installation.id(), account, entries));
    }

    private List<DeliveryResult> writeTimeline(long installationId, AmoCrmAccount account, List<TimelineEntry> entries) {
        boolean editing = statusNoteEdits.editing(installationId);
        DeliveryResult[] results = new DeliveryResult[entries.size()];
        Map<String, List<Integer>> toAdd = new LinkedHashMap<>();
        Map<String, List<Integer>> toEdit = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            TimelineEntry e = entries.get(i);
            boolean edit = editing && e.status() != null && e.existingEntryId() != null;
            (edit ? toEdit : toAdd).computeIfAbsent(apiEntity(e.entityType()), k -> new ArrayList<>()).add(i);
        }
        toEdit.forEach((entity, indexes) -> edit(installationId, account, entity, entries, indexes, results)
                .forEach(refused -> toAdd.computeIfAbsent(entity, k -> new ArrayList<>()).add(refused)));
        toAdd.forEach((entity, indexes) -> add(account, entity, entries, alreadyWritten(account, entity, entries, indexes,
                results), results));
        return Arrays.asList(results);
    }

    /**
     * A note batch whose answer never came may have been written (the entry is {@code ambiguous}): its
     * entity's recent Pact notes are read, and an entry whose note is there counts as delivered (each found
     * note matches one entry). A status entry matches its message's note whatever status that note shows: a
     * newer status of the message may have been coalesced into the command since the lost write, and such a
     * note is edited to it rather than written twice. Returns the entries still to add.
     */
    private List<Integer> alreadyWritten(AmoCrmAccount account, String entity, List<TimelineEntry> entries,
                                         List<Integer> indexes, DeliveryResult[] results) {
        Map<String, List<Integer>> ambiguousByEntity = new LinkedHashMap<>();
        indexes.stream().filter(i -> entries.get(i).ambiguous())
                .forEach(i -> ambiguousByEntity.computeIfAbsent(entries.get(i).entityId(), k -> new ArrayList<>()).add(i));
        if (ambiguousByEntity.isEmpty()) {
            return indexes;
        }
        Instant since = clock.instant().minus(NOTE_LOOKUP_WINDOW);
        ambiguousByEntity.forEach((entityId, candidates) -> {
            try {
                List<AmoCrmNote> notes = new ArrayList<>(api.recentNotes(account, entity, Long.parseLong(entityId),
                        AmoCrmNoteType.SERVICE_MESSAGE, since));
                List<AmoCrmNoteUpdate> stale = new ArrayList<>();
                for (int i : candidates) {
                    TimelineEntry entry = entries.get(i);
                    String text = TimelineTexts.textOf(entry);
                    String sameMessage = entry.status() == null ? text : TimelineTexts.messagePrefix(entry, TimelineTexts::textOf);
                    notes.stream().filter(n -> text.equals(n.text())).findFirst()
                            .or(() -> notes.stream().filter(n -> n.text() != null && n.text().startsWith(sameMessage)).findFirst())
                            .ifPresent(found -> {
                                notes.remove(found);
                                results[i] = DeliveryResult.delivered(Long.toString(found.id()), "note found after an unanswered write");
                                if (!text.equals(found.text())) {
                                    stale.add(AmoCrmNoteUpdate.serviceMessage(found.id(), Long.parseLong(entityId), SERVICE, text));
                                }
                            });
                }
                if (!stale.isEmpty()) {
                    api.updateNotes(account, entity, stale);
                }
            } catch (OutboundCallException e) {
                candidates.forEach(i -> results[i] = DeliveryResult.failed(e));
            }
        });
        return indexes.stream().filter(i -> results[i] == null).toList();
    }

    private void add(AmoCrmAccount account, String entity, List<TimelineEntry> entries, List<Integer> indexes,
                     DeliveryResult[] results) {
        if (indexes.isEmpty()) {
            return;
        }
        List<AmoCrmNewNote> notes = indexes.stream().map(i -> AmoCrmNewNote.serviceMessage(
                Long.parseLong(entries.get(i).entityId()), SERVICE, TimelineTexts.textOf(entries.get(i)))).toList();
        try {
            List<Long> ids = api.addNotes(account, entity, notes);
            for (int j = 0; j < indexes.size(); j++) {
                results[indexes.get(j)] = DeliveryResult.delivered(Long.toString(ids.get(j)), "note added");
            }
        } catch (AmoCrmBatchException e) {
            // Requests before the failing one went through: only the rest is retried.
            for (int j = 0; j < indexes.size(); j++) {
                results[indexes.get(j)] = j < e.created().size()
                        ? DeliveryResult.delivered(Long.toString(e.created().get(j)), "note added")
                        : DeliveryResult.failed(e);
            }
        } catch (OutboundCallException e) {
            failAll(e, indexes, results);
        }
    }

    /**
     * Edits the status notes in place. amoCRM answers 400 when it will not edit a note (a type it does not
     * let integrations edit, or a note someone deleted): those entries are returned, to be added as new notes.
     */
    private List<Integer> edit(long installationId, AmoCrmAccount account, String entity, List<TimelineEntry> entries,
                               List<Integer> indexes, DeliveryResult[] results) {
        List<AmoCrmNoteUpdate> updates = indexes.stream().map(i -> AmoCrmNoteUpdate.serviceMessage(
                Long.parseLong(entries.get(i).existingEntryId()), Long.parseLong(entries.get(i).entityId()), SERVICE,
                TimelineTexts.textOf(entries.get(i)))).toList();
        try {
            api.updateNotes(account, entity, updates);
            statusNoteEdits.accepted(installationId);
            indexes.forEach(i -> results[i] = DeliveryResult.delivered(entries.get(i).existingEntryId(), "note edited"));
            return List.of();
        } catch (AmoCrmBatchException e) {
            for (int j = 0; j < indexes.size(); j++) {
                int i = indexes.get(j);
                results[i] = j < e.created().size()
                        ? DeliveryResult.delivered(entries.get(i).existingEntryId(), "note edited")
                        : DeliveryResult.failed(e);
            }
            return List.of();
        } catch (AmoCrmApiException e) {
            if (e.status() == 400 || e.status() == 404) {
                statusNoteEdits.refused(installationId, e.getMessage());
                return indexes;
            }
            failAll(e, indexes, results);
            return List.of();
        } catch (OutboundCallException e) {
            failAll(e, indexes, results);
            return List.of();
        }
    }

    /**
     * A rejected token is thrown up (a fresh token and one more try) as long as nothing of this call
     * was written yet; after that, a retry of the whole call would write notes twice.
     */
    private static void failAll(OutboundCallException e, List<Integer> indexes, DeliveryResult[] results) {
        if (e instanceof AmoCrmApiException api && api.isTokenExpired() && Arrays.stream(results).allMatch(r -> r == null)) {
            throw e;
        }
        indexes.forEach(i -> results[i] = DeliveryResult.failed(e));
    }

    @Override
    public Optional<CrmEntity> entity(Installation installation, String entityType, String entityId) {
        long id = Long.parseLong(entityId);
        return withFreshToken(installation, account -> {
            if ("contact".equals(entityType)) {
                return api.contact(account, id).map(c -> new CrmEntity("contact", entityId, c.name(), digits(c.phones())));
            }
            return api.lead(account, id).map(lead -> {
                List<String> phones = new ArrayList<>();
                // A lead has no phone of its own; its first contacts carry them (one call each, so only a few).
                lead.contactIds().stream().limit(MAX_CONTACTS_READ)
                        .forEach(cid -> api.contact(account, cid).ifPresent(c -> phones.addAll(digits(c.phones()))));
                return new CrmEntity(entityType, entityId, lead.name(), phones.stream().distinct().toList());
            });
        });
    }

    private static List<String> digits(List<String> phones) {
        return phones.stream().map(Phone::of).filter(p -> !p.isEmpty()).map(Phone::digits).toList();
    }

    /**
     * The client's contact by phone; then the lead to link: the contact's newest open lead, else a new one (a
     * returning client whose leads are all closed, won 142 or lost 143, gets new work), in the mapped pipeline and
     * stage ("Incoming" through the unsorted API when the stage is {@code unsorted}). An unknown phone becomes a
     * contact and a lead.
     */
    @Override
    public CrmEntityRef findOrCreateClient(Installation installation, NewClientPayload client) {
        InstallationSettings settings = InstallationSettings.of(installation.settings());
        InstallationSettings.Stage stage = settings.newClientStage(client.provider())
                .orElse(new InstallationSettings.Stage(null, null));
        return withFreshToken(installation, account -> findOrCreateClient(account, client, stage,
                settings.newClientResponsible()));
    }

    private CrmEntityRef findOrCreateClient(AmoCrmAccount account, NewClientPayload client, InstallationSettings.Stage stage,
                                            String rule) {
        String phone = client.phone() == null ? null : Phone.of(client.phone()).digits();
        String name = client.name() != null && !client.name().isBlank() ? client.name() : "+" + phone;
        Long assigned = userId(client.responsibleUserId());
        if (phone != null && !phone.isEmpty()) {
            List<AmoCrmContact> found = api.searchContacts(account, phone);
            if (!found.isEmpty()) {
                AmoCrmContact contact = found.get(0);
                // A search answer carries no leads: the contact is read again with them.
                List<Long> leadIds = api.contact(account, contact.id()).map(AmoCrmContact::leadIds).orElse(List.of());
                Optional<AmoCrmLead> open = api.leadsByIds(account, leadIds).stream()
                        .filter(l -> l.statusId() == null || !CLOSED_STATUSES.contains(l.statusId()))
                        .max(Comparator.comparingLong(AmoCrmLead::id));
                if (open.isPresent()) {
                    return new CrmEntityRef("lead", Long.toString(open.get().id()));
                }
                Long responsible = "contactOwner".equals(rule) ? contact.responsibleUserId() : assigned;
                return newLead(account, client, stage, name, phone, contact.id(), responsible);
            }
        }
        if (stage.unsorted()) {
            return newLead(account, client, stage, name, phone, null, assigned);
        }
        long contactId = api.createContact(account, name, phone, assigned);
        return newLead(account, client, stage, name, phone, contactId, assigned);
    }

    private CrmEntityRef newLead(AmoCrmAccount account, NewClientPayload client, InstallationSettings.Stage stage,
                                 String name, String phone, Long contactId, Long responsible) {
        try {
            long leadId = stage.unsorted()
                    ? api.createUnsortedLead(account, "pact-" + client.conversationId(), name, stage.pipelineId(),
                            contactId, phone)
                    : api.createLead(account, name + " — Pact", stage.pipelineId(), stage.statusId(), contactId, responsible);
            return new CrmEntityRef("lead", Long.toString(leadId), true);
        } catch (OutboundCallException e) {
            if (contactId == null) {
                throw e;
            }
            // The contact exists now: a retry of the whole command could create it a second time (search may
            // not see it yet), so the conversation is linked to the contact and the missing lead reported.
            LOG.warn("event=amocrm_lead_not_created contact={} error=\"{}\"", contactId, e.getMessage());
            return new CrmEntityRef("contact", Long.toString(contactId));
        }
    }

    private static Long userId(String crmUserId) {
        return crmUserId != null && crmUserId.matches("\\d{1,18}") ? Long.parseLong(crmUserId) : null;
    }

    /**
     * An amoCRM task (type 1, follow-up) on the lead or contact, for its responsible (read from the entity; amoCRM
     * requires a responsible and a deadline, Kommo reference "Tasks").
     */
    @Override
    public Optional<String> openTask(Installation installation, TaskPayload task) {
        String language = InstallationSettings.of(installation.settings()).language();
        long entityId = Long.parseLong(task.entityId());
        return withFreshToken(installation, account -> {
            Long responsible = "contact".equals(task.entityType())
                    ? api.contact(account, entityId).map(AmoCrmContact::responsibleUserId).orElse(null)
                    : api.lead(account, entityId).map(AmoCrmLead::responsibleUserId).orElse(null);
            return Optional.of(Long.toString(api.createTask(account, apiEntity(task.entityType()), entityId,
                    TimelineTexts.taskText(task, language), task.dueAt(), responsible)));
        });
    }

    @Override
    public void closeTask(Installation installation, TaskPayload task, String crmTaskId) {
        String language = InstallationSettings.of(installation.settings()).language();
        withFreshToken(installation, account -> {
            api.completeTask(account, Long.parseLong(crmTaskId), TimelineTexts.taskDoneText(language));
            return null;
        });
    }

    /**
     * {@code GET /api/v4/leads/pipelines}: each pipeline with its stages; type 1 (the "Incoming" stage) is offered as
     * {@code unsorted}, the closing stages 142 and 143 are not offered (a new lead does not start closed).
     */
    @Override
    public List<CrmPipeline> pipelines(Installation installation) {
        return withFreshToken(installation, account -> {
            List<CrmPipeline> out = new ArrayList<>();
            for (JsonNode p : api.pipelines(account).path("_embedded").path("pipelines")) {
                List<CrmPipeline.Stage> stages = new ArrayList<>();
                for (JsonNode st : p.path("_embedded").path("statuses")) {
                    long id = st.path("id").asLong();
                    if (st.path("type").asInt() == 1) {
                        stages.add(new CrmPipeline.Stage("unsorted", st.path("name").asText()));
                    } else if (!CLOSED_STATUSES.contains(id)) {
                        stages.add(new CrmPipeline.Stage(Long.toString(id), st.path("name").asText()));
                    }
                }
                out.add(new CrmPipeline("lead", p.path("id").asLong(), p.path("name").asText(), stages));
            }
            return out;
        });
    }

    @Override
    public List<CrmUser> users(Installation installation) {
        return withFreshToken(installation, account -> {
            List<CrmUser> users = new ArrayList<>();
            for (int page = 1; page <= MAX_USER_PAGES; page++) {
                AmoCrmPage<AmoCrmUser> found = api.users(account, page);
                found.items().stream().filter(AmoCrmUser::active)
                        .forEach(u -> users.add(new CrmUser(Long.toString(u.id()), u.name(), u.email())));
                if (!found.hasNext()) {
                    break;
                }
            }
            return users;
        });
    }

    @Override
    public Optional<CrmEntityRef> findClientByPhone(Installation installation, String phone) {
        return withFreshToken(installation, account -> api.searchContacts(account, phone).stream().findFirst()
                .map(c -> new CrmEntityRef("contact", Long.toString(c.id()))));
    }

    /**
     * Runs the calls with the installation's token; if amoCRM says the token is no longer valid
     * before its expiry (revoked, or rotated elsewhere), the token is refreshed once and the calls
     * run again.
     */
    private <T> T withFreshToken(Installation installation, Function<AmoCrmAccount, T> calls) {
        AmoCrmAccount account = tokens.account(installation.id());
        try {
            return calls.apply(account);
        } catch (AmoCrmApiException e) {
            if (!e.isTokenExpired()) {
                throw e;
            }
            return calls.apply(tokens.accountAfterRejected(installation.id(), account.accessToken()));
        }
    }

    private static String apiEntity(String entityType) {
        return "contact".equals(entityType) ? AmoCrmApiClient.CONTACTS : AmoCrmApiClient.LEADS;
    }
}
