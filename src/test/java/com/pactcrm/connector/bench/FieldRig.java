package com.pactcrm.connector.bench;

import com.pactcrm.connector.bitrix24.Bitrix24Fake;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.testsupport.AmoCrmFake;
import com.pactcrm.connector.testsupport.FaultInjection;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.ResponseLatency;
import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import com.pactcrm.connector.testsupport.TimelineWrite;
import io.micronaut.context.ApplicationContext;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What one case runs on: a fresh schema on an embedded MariaDB, held by a small application context in this JVM
 * that dispatches and relays nothing; the fakes (amoCRM enforcing its account limits, a Bitrix24 portal enforcing
 * its leaky bucket, Pact); the service as separate processes with production timings; the webhook sender in front
 * of them. amoCRM accounts are told apart by host ({@code 127.0.0.10…15:<port>}), as real ones are.
 */
final class FieldRig implements AutoCloseable {

    /** How the fakes answer: latency (null: at once) and the share of failed calls, with the seed of both. */
    record Conditions(Duration latencyMin, Duration latencyMax, double faultRate, long seed) {

        String describe() {
            return "limits enforced (amoCRM 7/s per account and the block after 20×429/60 s; Bitrix24 bucket 50, 2/s), "
                    + (latencyMin == null ? "answers at once" : "latency " + latencyMin.toMillis() + "–" + latencyMax.toMillis() + " ms")
                    + (faultRate == 0 ? ", no faults" : String.format(java.util.Locale.ROOT,
                            ", %.0f %% of calls failed (5xx; hung 3 s then reset; written then answer lost), seed %d",
                            faultRate * 100, seed));
        }
    }

    static final int AMO_HOSTS = 6;
    static final List<String> CRMS = List.of("amocrm", "bitrix24");
    private static final String AMO_CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    private static final String AMO_CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    private static final String PACT_TOKEN = "pact-field-bench-token";
    private static final String BENCH_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private final String name;
    private final ApplicationContext context;
    private final TestSql sql;
    private final TestInstallations installations;
    private final InstallationRepository repository;
    private final SecretCipher cipher;
    final AmoCrmFake amo;
    final Bitrix24Fake b24;
    private final PactFake pact;
    private final Map<String, FaultInjection> faults = new LinkedHashMap<>();
    private final Map<String, FieldTarget.AmoCrmAccount> accountsByHost = new ConcurrentHashMap<>();
    private final List<ServiceProcess> started = new CopyOnWriteArrayList<>();
    /** Base URLs of the replicas taking webhooks now. */
    final List<String> live = new CopyOnWriteArrayList<>();
    final WebhookSender sender = new WebhookSender(() -> live, 16);

    FieldRig(String name, Conditions conditions, boolean echo) throws IOException {
        this.name = name;
        Path dataDir = Path.of("target", "field-bench-db", "data").toAbsolutePath();
        Files.createDirectories(dataDir);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("connector.embedded-db.data-dir", dataDir.toString());
        // A fresh schema for every case; the server stops with the rig (a server kept for the JVM would keep
        // exec:java waiting for its threads after the last case).
        properties.put("connector.embedded-db.database-per-context", true);
        properties.put("connector.encryption-key", BENCH_KEY);
        properties.put("connector.dispatcher.enabled", false);
        properties.put("connector.relay.enabled", false);
        properties.put("connector.amocrm.maintenance.enabled", false);
        properties.put("connector.bitrix24.maintenance.enabled", false);
        // The table goes to standard output; the database holder has nothing to tell but trouble, and the server's
        // complaints about the connections of killed replicas are expected.
        properties.put("logger.levels.root", "ERROR");
        properties.put("logger.levels.ch.vorburger", "OFF");
        this.context = ApplicationContext.builder().environments("field-bench").deduceEnvironment(false)
                .properties(properties).start();
        this.sql = context.getBean(TestSql.class);
        this.installations = context.getBean(TestInstallations.class);
        this.repository = context.getBean(InstallationRepository.class);
        this.cipher = context.getBean(SecretCipher.class);
        this.amo = AmoCrmFake.start().enforceLimits();
        this.b24 = Bitrix24Fake.running().enforceLeakyBucket();
        this.pact = PactFake.start();
        if (conditions.latencyMin() != null) {
            amo.withLatency(ResponseLatency.between(conditions.latencyMin(), conditions.latencyMax(), conditions.seed()));
            b24.withLatency(ResponseLatency.between(conditions.latencyMin(), conditions.latencyMax(), conditions.seed() + 1));
        }
        if (conditions.faultRate() > 0) {
            faults.put("amoCRM", new FaultInjection(conditions.faultRate(), conditions.seed() + 2));
            faults.put("Bitrix24", new FaultInjection(conditions.faultRate(), conditions.seed() + 3));
        }
        if (echo) {
            amo.onNotesAdded(this::echo);
        }
    }

    /**
     * A replica of the service as its own process, taking webhooks once healthy. Every timing stays the production
     * default; only the database, the encryption key and the fakes' addresses are set, the fakes' schemes are
     * plain http, and the scheduled CRM maintenance (idle-token refreshes, webhook checks) is off: the fakes
     * serve none of its endpoints.
     */
    ServiceProcess startService(String replica) {
        return startService(replica, replica);
    }

    /**
     * As {@link #startService(String)}, one start ({@code start}, which names its log) of a replica that keeps its
     * name across restarts, as a pod's container restarted after a crash keeps its host name.
     */
    ServiceProcess startService(String replica, String start) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.instance-id", instanceId(replica));
        c.put("test.crm-double", "false");
        c.put("connector.pact.api-url", pact.baseUrl());
        c.put("connector.amocrm.client-id", AMO_CLIENT_ID);
        c.put("connector.amocrm.client-secret", AMO_CLIENT_SECRET);
        c.put("connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback");
        c.put("connector.amocrm.scheme", "http");
        c.put("connector.amocrm.allowed-host-suffixes",
                IntStream.range(0, AMO_HOSTS).mapToObj(i -> "127.0.0." + (10 + i)).collect(Collectors.joining(",")));
        c.put("connector.amocrm.maintenance.enabled", "false");
        c.put("connector.bitrix24.client-id", Bitrix24Fake.CLIENT_ID);
        c.put("connector.bitrix24.client-secret", Bitrix24Fake.CLIENT_SECRET);
        c.put("connector.bitrix24.oauth-url", b24.oauthUrl());
        c.put("connector.bitrix24.scheme", "http");
        c.put("connector.bitrix24.maintenance.enabled", "false");
        ServiceProcess service = ServiceProcess.start("field-bench-" + name + "-" + start,
                ServiceProcess.onDatabaseWithProductionTimings(sql.jdbcUrl(), c));
        started.add(service);
        live.add(service.baseUrl());
        return service;
    }

    /** The name a replica started by {@link #startService} goes by in leases and claims (plus a per-start suffix). */
    String instanceId(String replica) {
        return "field-" + name + "-" + replica;
    }

    /** SIGKILL; its webhooks go to the other replicas (or wait for one) from now on. */
    void kill(ServiceProcess service) throws InterruptedException {
        live.remove(service.baseUrl());
        service.kill9();
    }

    /** {@code amocrm}: {@link #amoAccount} on the first host; {@code bitrix24}: {@link #portal}. */
    FieldTarget target(String crm, boolean history, int entities) throws IOException, InterruptedException {
        return "amocrm".equals(crm) ? amoAccount(0, history, entities) : portal(history, entities);
    }

    /** An amoCRM account on host {@code 127.0.0.<10 + index>} with {@code leads} leads, each linked to a Pact conversation. */
    FieldTarget.AmoCrmAccount amoAccount(int index, boolean history, int leads) {
        String host = "127.0.0." + (10 + index) + ":" + amo.port();
        Installation installation = installations.amoCrmAt(host, PACT_TOKEN, settings(history));
        List<Long> conversations = new ArrayList<>();
        for (int j = 0; j < leads; j++) {
            long conversation = 5_000_000_000L + installation.id() * 1000 + j;
            link(installation, conversation, "lead", Long.toString(7_000_000L + installation.id() * 1000 + j));
            conversations.add(conversation);
        }
        FieldTarget.AmoCrmAccount account = new FieldTarget.AmoCrmAccount(installation, conversations, amo, host);
        accountsByHost.put(host, account);
        return account;
    }

    /**
     * The Bitrix24 portal, installed through a live replica's installer frame as Bitrix24 does it (bitrix24.md §1.3),
     * connected to Pact, with {@code deals} deals each linked to a Pact conversation.
     */
    FieldTarget.Bitrix24Portal portal(boolean history, int deals) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", "b24-installer-frame-token");
        form.put("AUTH_EXPIRES", "3600");
        form.put("REFRESH_ID", b24.currentRefreshToken());
        form.put("member_id", Bitrix24Fake.MEMBER_ID);
        form.put("status", "L");
        form.put("PLACEMENT", "DEFAULT");
        form.put("PLACEMENT_OPTIONS", "{\"any\":\"5/\"}");
        form.put("APPLICATION_TOKEN", Bitrix24Fake.APPLICATION_TOKEN);
        form.put("APPLICATION_SCOPE", "crm,user,placement,event");
        HttpResponse<String> installed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(live.get(0) + "/bitrix24/install?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br&APP_SID=9f8e7d6c"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))).build(), HttpResponse.BodyHandlers.ofString());
        if (installed.statusCode() != 200) {
            throw new IllegalStateException("the portal was not installed: " + installed.statusCode() + " " + installed.body());
        }
        Installation installation = repository.findByCrmAndCrmAccountId(CrmKind.BITRIX24, Bitrix24Fake.MEMBER_ID).orElseThrow();
        sql.update("UPDATE installation SET pact_company_id = 1, pact_token_enc = ?, settings = ? WHERE id = ?",
                cipher.encrypt(PACT_TOKEN), settings(history), installation.id());
        List<Long> conversations = new ArrayList<>();
        Set<String> dealIds = new LinkedHashSet<>();
        for (int j = 0; j < deals; j++) {
            String deal = Long.toString(8100 + j);
            b24.putDeal(deal, "9001", "7");
            long conversation = 6_000_000_000L + j;
            link(installation, conversation, "deal", deal);
            conversations.add(conversation);
            dealIds.add(deal);
        }
        return new FieldTarget.Bitrix24Portal(repository.findById(installation.id()).orElseThrow(), conversations, b24, dealIds);
    }

    /**
     * From now on the fakes fail their share of calls. Called once the accounts are set up: the case measures
     * delivery under faults, and an installer frame that meets a 502 is one the admin simply opens again.
     */
    void injectFaults() {
        if (!faults.isEmpty()) {
            amo.withFaults(faults.get("amoCRM"));
            b24.withFaults(faults.get("Bitrix24"));
        }
    }

    /** Outbox commands of the installation still pending or in flight; -1 when the outbox cannot be read. */
    long pending(long installationId) {
        try {
            return sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state IN ('PENDING', 'IN_FLIGHT')",
                    installationId);
        } catch (RuntimeException schemaChanged) {
            return -1;
        }
    }

    /** How many calls each fake failed, and how (empty without faults). */
    String faultsInjected() {
        return faults.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().counts())
                .collect(Collectors.joining(", "));
    }

    /** Which replica holds each installation's lease now (empty when the lease table cannot be read). */
    Map<Long, String> leaseOwners() {
        try {
            Map<Long, String> owners = new LinkedHashMap<>();
            sql.query("SELECT installation_id, owner FROM installation_lease WHERE lease_until > NOW(3)")
                    .forEach(row -> owners.put(((Number) row.get("installation_id")).longValue(), row.get("owner").toString()));
            return owners;
        } catch (RuntimeException schemaChanged) {
            return Map.of();
        }
    }

    @Override
    public void close() throws InterruptedException {
        sender.close();
        // Nothing is measured any more: no need for a graceful stop.
        for (ServiceProcess service : started) {
            service.kill9();
        }
        amo.stop();
        b24.shutdown();
        pact.stop();
        context.close();
    }

    private void link(Installation installation, long conversation, String entityType, String entityId) {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, ?, ?)", installation.id(), conversation, entityType, entityId);
    }

    private static String settings(boolean history) {
        return "{\"history\":" + history + "}";
    }

    /**
     * amoCRM's {@code notes} webhook for the notes one request created, posted back to the connector as an account
     * subscribed to note events does: the connector's own {@code service_message} notes, which it must recognise
     * and drop (fixtures/amocrm-webhooks/note-contact-service.txt has the shape).
     */
    private void echo(List<TimelineWrite> created) {
        FieldTarget.AmoCrmAccount account = accountsByHost.get(created.get(0).account());
        if (account == null) {
            return;
        }
        String accountId = account.installation().crmAccountId();
        long now = System.currentTimeMillis() / 1000;
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 0; i < created.size(); i++) {
            TimelineWrite note = created.get(i);
            String n = "leads[note][" + i + "][note]";
            f.put(n + "[text]", "{\"service\":\"Pact\",\"text\":" + jsonString(note.text()) + "}");
            f.put(n + "[note_type]", "25");
            f.put(n + "[element_type]", "2");
            f.put(n + "[element_id]", note.entityId());
            f.put(n + "[date_create]", Long.toString(now));
            f.put(n + "[id]", Long.toString(note.entryId()));
            f.put(n + "[created_by]", "0");
            f.put(n + "[account_id]", accountId);
        }
        f.put("account[subdomain]", "acme" + accountId);
        f.put("account[id]", accountId);
        sender.post(System.nanoTime(), List.of(WebhookSender.Webhook.echo(
                "/amocrm/webhooks/" + account.installation().hookKey(), form(f))));
    }

    private static String jsonString(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
