package com.pactcrm.connector.testsupport;

import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmEntityRef;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.CrmUser;
import com.pactcrm.connector.crm.CrmPayloads.NewClientPayload;
import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.amocrm.gateway.AmoCrmGateway;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test double of a CRM behind the {@link CrmGateway} port, standing in for amoCRM unless a test sets
 * {@code test.crm-double=false} to run the real adapter against a WireMock amoCRM: it keeps a timeline per entity where a
 * status entry is edited in place, records every call and batch size, finds or creates contacts
 * by phone, and lists two users.
 */
@Singleton
@Requires(env = "test")
@Requires(property = "test.crm-double", notEquals = "false")
@Replaces(AmoCrmGateway.class)
public class RecordingCrmGateway implements CrmGateway {

    /** One entry in an entity's timeline, as the CRM would show it. */
    public record Entry(String id, String entityType, String entityId, String text, int edits) {
    }

    /** The account's users: Ana and Bruno, as the admin's user mapping lists them. */
    public static final List<CrmUser> USERS = List.of(new CrmUser("8123456", "Ana Souza", "ana@loja.example"),
            new CrmUser("8123457", "Bruno Lima", "bruno@loja.example"));

    private final AtomicLong ids = new AtomicLong(1000);
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    private final Map<String, CrmEntityRef> contactsByPhone = new ConcurrentHashMap<>();
    private final List<String> createdContacts = new CopyOnWriteArrayList<>();

    @Override
    public CrmKind crm() {
        return CrmKind.AMOCRM;
    }

    @Override
    public int batchSize(CommandKind kind) {
        return 50;
    }

    @Override
    public List<DeliveryResult> writeTimeline(Installation installation, List<TimelineEntry> batch) {
        batchSizes.add(batch.size());
        List<DeliveryResult> results = new ArrayList<>();
        for (TimelineEntry e : batch) {
            String text = textOf(e);
            if (e.existingEntryId() != null && entries.containsKey(e.existingEntryId())) {
                Entry old = entries.get(e.existingEntryId());
                entries.put(old.id(), new Entry(old.id(), old.entityType(), old.entityId(), text, old.edits() + 1));
                results.add(DeliveryResult.delivered(old.id(), "edited"));
            } else {
                String id = Long.toString(ids.incrementAndGet());
                entries.put(id, new Entry(id, e.entityType(), e.entityId(), text, 0));
                results.add(DeliveryResult.delivered(id, "added"));
            }
        }
        return results;
    }

    @Override
    public Optional<CrmEntity> entity(Installation installation, String entityType, String entityId) {
        return Optional.of(new CrmEntity(entityType, entityId, "João Silva", List.of("5511987654321")));
    }

    @Override
    public CrmEntityRef findOrCreateClient(Installation installation, NewClientPayload client) {
        return contactsByPhone.computeIfAbsent(installation.id() + ":" + client.phone(), k -> {
            String id = Long.toString(ids.incrementAndGet());
            createdContacts.add(id);
            return new CrmEntityRef("contact", id);
        });
    }

    @Override
    public List<CrmUser> users(Installation installation) {
        return USERS;
    }

    @Override
    public Optional<CrmEntityRef> findClientByPhone(Installation installation, String phone) {
        return Optional.ofNullable(contactsByPhone.get(installation.id() + ":" + phone));
    }

    /** A contact the CRM already knows (no creation recorded). */
    public void knowContact(Installation installation, String phone, String contactId) {
        contactsByPhone.put(installation.id() + ":" + phone, new CrmEntityRef("contact", contactId));
    }

    public List<Entry> timeline(String entityType, String entityId) {
        return entries.values().stream()
                .filter(e -> e.entityType().equals(entityType) && e.entityId().equals(entityId))
                .sorted((a, b) -> Long.compare(Long.parseLong(a.id()), Long.parseLong(b.id())))
                .toList();
    }

    public List<Integer> batchSizes() {
        return Collections.unmodifiableList(batchSizes);
    }

    public List<String> createdContacts() {
        return Collections.unmodifiableList(createdContacts);
    }

    private static String textOf(TimelineEntry e) {
        if (e.status() != null) {
            return "Pact message " + e.status().messageId() + ": " + e.status().icon()
                    + (e.status().details() == null ? "" : " " + e.status().details());
        }
        if (e.history() != null) {
            return (e.history().income() ? "client: " : "operator: ") + e.history().text();
        }
        return "conversation " + e.state().operationalState() + "/" + e.state().repliedState();
    }
}
