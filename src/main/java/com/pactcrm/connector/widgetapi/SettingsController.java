package com.pactcrm.connector.widgetapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.chat.PactOperator;
import com.pactcrm.connector.chat.PactOperatorRepository;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.CrmPipeline;
import com.pactcrm.connector.crm.CrmUser;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.installation.InstallationSettings.Stage;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET/PUT /api/v1/settings} (CRM admins only): the toggles, the responsible policy, the pipeline and
 * stage per channel for new clients, the page language, and the user mapping (CRM users ↔ Pact
 * operators learned from outgoing-message webhooks; suggested by equal name or e-mail, or entered by hand).
 */
@Controller("/api/v1/settings")
@ExecuteOn(TaskExecutors.BLOCKING)
class SettingsController {

    record SettingsView(Toggles toggles, String responsibleFrom, Map<String, Stage> newClientStages, String language,
                        PactView pact, boolean crmUsersAvailable, List<UserRow> users, List<Operator> pactOperators,
                        Automation automation, @Nullable String automationKey) {
    }

    /**
     * Issue 15's settings: who gets a new client's lead ({@code contactOwner}, {@code roundRobin} over
     * {@code roundRobinUsers}, {@code pactAssignee}), unanswered-conversation tasks and their delay, and whether the
     * first-run step is still to be shown. In an update every part is optional.
     */
    record Automation(@Nullable Boolean firstRunPending, @Nullable String newClientResponsible,
                      @Nullable List<String> roundRobinUsers, @Nullable Boolean unansweredTasks,
                      @Nullable Integer unansweredTaskMinutes) {
    }

    record PipelinesView(String crm, List<CrmPipeline> pipelines) {
    }

    record Toggles(boolean statuses, boolean history, boolean conversationStates, boolean comments,
                   boolean autoCreateClients) {
    }

    /** The Pact connection; the token itself is never returned. */
    record PactView(boolean connected, Long companyId, Long webhookId) {
    }

    /**
     * One CRM user and their Pact operator. {@code source}: MANUAL or AUTO when saved, SUGGESTED when the
     * connector found an operator with the same name or e-mail that is not saved yet, NONE otherwise.
     */
    record UserRow(String crmUserId, String crmUserName, String email, Long pactUserId, String pactUserName, String source) {
    }

    record Operator(long pactUserId, String name) {
    }

    /** Absent parts stay as they are; {@code userMappings} lists rows to save (a null {@code pactUserId} removes one). */
    record SettingsUpdate(@Nullable Toggles toggles, @Nullable String responsibleFrom,
                          @Nullable Map<String, Stage> newClientStages, @Nullable String language,
                          @Nullable List<MappingUpdate> userMappings, @Nullable Automation automation) {
    }

    record MappingUpdate(String crmUserId, @Nullable String crmUserName, @Nullable Long pactUserId,
                         @Nullable String pactUserName) {
    }

    private static final Set<String> STAGE_KEYS = Set.of("default", "whatsapp", "whatsapp_business", "telegram_personal",
            "telegram", "instagram", "avito", "vkontakte", "max", "viber", "facebook");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(SettingsController.class);

    private final WidgetAuth auth;
    private final WidgetSettings settings;
    private final UserMappingRepository mappings;
    private final PactOperatorRepository operators;
    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);

    SettingsController(WidgetAuth auth, WidgetSettings settings, UserMappingRepository mappings,
                       PactOperatorRepository operators, List<CrmGateway> gateways) {
        this.auth = auth;
        this.settings = settings;
        this.mappings = mappings;
        this.operators = operators;
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
    }

    @Get
    SettingsView read(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        return view(auth.admin(authorization, origin).installation());
    }

    /** The pipelines and stages a new client's lead or deal can start in, for the settings' pickers (admin). */
    @Get("/pipelines")
    PipelinesView pipelines(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        Installation installation = auth.admin(authorization, origin).installation();
        CrmGateway gateway = gateways.get(installation.crm());
        try {
            return new PipelinesView(installation.crm().name(), gateway == null ? List.of() : gateway.pipelines(installation));
        } catch (OutboundCallException e) {
            LOG.warn("event=settings_pipelines_unavailable installationId={} error=\"{}\"", installation.id(), e.getMessage());
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable",
                    "the CRM could not be asked for its pipelines just now");
        }
    }

    @Put
    SettingsView save(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                      @Body SettingsUpdate update) {
        Caller caller = auth.admin(authorization, origin);
        validate(update);
        Installation installation = settings.update(caller.installation(), json -> apply(json, update));
        if (update.userMappings() != null) {
            saveMappings(installation, update.userMappings());
        }
        LOG.info("event=settings_saved installationId={} crmUser={}", installation.id(), caller.session().crmUserId());
        return view(installation);
    }

    private static void validate(SettingsUpdate u) {
        if (u.responsibleFrom() != null && !Set.of("lead", "contact").contains(u.responsibleFrom())) {
            throw ProblemException.badRequest("responsibleFrom must be lead or contact");
        }
        if (u.language() != null && !WidgetSettings.LANGUAGES.contains(u.language())) {
            throw ProblemException.badRequest("language must be one of " + WidgetSettings.LANGUAGES);
        }
        if (u.newClientStages() != null) {
            u.newClientStages().forEach((provider, stage) -> {
                if (!STAGE_KEYS.contains(provider)) {
                    throw ProblemException.badRequest("'" + provider + "' is not a Pact channel (or 'default')");
                }
                // Bitrix24's deal category 0 is its default category.
                if (stage != null && (stage.pipelineId() != null && stage.pipelineId() < 0
                        || stage.statusId() != null && stage.statusId() <= 0)) {
                    throw ProblemException.badRequest("pipeline and stage ids are positive numbers");
                }
                if (stage != null && stage.entity() != null && !Set.of("lead", "deal").contains(stage.entity())) {
                    throw ProblemException.badRequest("entity must be lead or deal");
                }
                if (stage != null && stage.stageId() != null && !stage.stageId().matches("[A-Za-z0-9:_-]{1,50}")) {
                    throw ProblemException.badRequest("a stage id is up to 50 letters, digits, ':', '_' or '-'");
                }
            });
        }
        Automation a = u.automation();
        if (a != null) {
            if (a.newClientResponsible() != null && !InstallationSettings.RESPONSIBLE_RULES.contains(a.newClientResponsible())) {
                throw ProblemException.badRequest("newClientResponsible must be one of " + InstallationSettings.RESPONSIBLE_RULES);
            }
            if (a.roundRobinUsers() != null && (a.roundRobinUsers().size() > 100
                    || a.roundRobinUsers().stream().anyMatch(id -> id == null || !id.matches("[A-Za-z0-9_-]{1,64}")))) {
                throw ProblemException.badRequest("roundRobinUsers lists up to 100 CRM user ids");
            }
            if (a.unansweredTaskMinutes() != null && (a.unansweredTaskMinutes() < 1 || a.unansweredTaskMinutes() > 10_080)) {
                throw ProblemException.badRequest("unansweredTaskMinutes is between 1 and 10080 (a week)");
            }
        }
        if (u.userMappings() != null) {
            for (MappingUpdate m : u.userMappings()) {
                if (m.crmUserId() == null || !m.crmUserId().matches("[A-Za-z0-9_-]{1,64}")) {
                    throw ProblemException.badRequest("each user mapping needs the CRM user id");
                }
                if (m.pactUserId() != null && m.pactUserId() <= 0) {
                    throw ProblemException.badRequest("a Pact operator id is a positive number");
                }
            }
        }
    }

    private static void apply(ObjectNode json, SettingsUpdate u) {
        if (u.toggles() != null) {
            json.put("statuses", u.toggles().statuses()).put("history", u.toggles().history())
                    .put("conversationStates", u.toggles().conversationStates()).put("comments", u.toggles().comments())
                    .put("autoCreateClients", u.toggles().autoCreateClients());
        }
        if (u.responsibleFrom() != null) {
            json.put("responsibleFrom", u.responsibleFrom());
        }
        if (u.language() != null) {
            json.put("language", u.language());
        }
        Automation a = u.automation();
        if (a != null) {
            if (a.newClientResponsible() != null) {
                json.put("newClientResponsible", a.newClientResponsible());
            }
            if (a.roundRobinUsers() != null) {
                json.set("roundRobinUsers", JSON.valueToTree(a.roundRobinUsers()));
            }
            if (a.unansweredTasks() != null) {
                json.put("unansweredTasks", a.unansweredTasks());
            }
            if (a.unansweredTaskMinutes() != null) {
                json.put("unansweredTaskMinutes", a.unansweredTaskMinutes());
            }
            if (Boolean.FALSE.equals(a.firstRunPending())) {
                json.put("firstRunDone", true);
            }
        }
        if (u.newClientStages() != null) {
            Map<String, Stage> stages = new LinkedHashMap<>();
            u.newClientStages().forEach((provider, stage) -> {
                if (stage != null && (stage.pipelineId() != null || stage.entity() != null || stage.stageId() != null)) {
                    stages.put(provider, stage);
                }
            });
            json.set("newClientStages", JSON.valueToTree(stages));
        }
    }

    private void saveMappings(Installation installation, List<MappingUpdate> updates) {
        Map<String, Long> suggested = suggestions(installation, users(installation), Map.of());
        for (MappingUpdate m : updates) {
            if (m.pactUserId() == null) {
                mappings.delete(installation.id(), m.crmUserId());
                continue;
            }
            String source = m.pactUserId().equals(suggested.get(m.crmUserId())) ? "AUTO" : "MANUAL";
            String pactName = m.pactUserName() != null ? m.pactUserName() : operatorNames(installation).get(m.pactUserId());
            mappings.save(installation.id(), m.crmUserId(), m.crmUserName(), m.pactUserId(), pactName, source);
        }
    }

    private SettingsView view(Installation installation) {
        InstallationSettings s = InstallationSettings.of(installation.settings());
        Toggles toggles = new Toggles(s.statusesOn(), s.historyOn(), s.conversationStatesOn(), s.commentsOn(),
                s.autoCreateClientsOn());
        Optional<List<CrmUser>> crmUsers = crmUsers(installation);
        Map<String, UserMapping> saved = mappings.findByInstallation(installation.id()).stream()
                .collect(Collectors.toMap(UserMapping::crmUserId, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        Map<Long, String> operatorNames = operatorNames(installation);
        Map<String, Long> suggested = suggestions(installation, crmUsers.orElse(List.of()), saved);
        List<UserRow> rows = new ArrayList<>();
        for (CrmUser u : crmUsers.orElse(List.of())) {
            UserMapping m = saved.remove(u.id());
            if (m != null && m.pactUserId() != null) {
                rows.add(new UserRow(u.id(), u.name(), u.email(), m.pactUserId(), m.pactUserName(), m.source()));
            } else if (suggested.containsKey(u.id())) {
                Long id = suggested.get(u.id());
                rows.add(new UserRow(u.id(), u.name(), u.email(), id, operatorNames.get(id), "SUGGESTED"));
            } else {
                rows.add(new UserRow(u.id(), u.name(), u.email(), null, null, "NONE"));
            }
        }
        // Users the CRM no longer lists (or could not list just now) keep their saved rows visible.
        saved.values().forEach(m -> rows.add(new UserRow(m.crmUserId(), m.crmUserName(), null, m.pactUserId(),
                m.pactUserName(), m.source())));
        List<Operator> pactOperators = operators.findByInstallation(installation.id()).stream()
                .map(o -> new Operator(o.pactUserId(), o.name())).toList();
        return new SettingsView(toggles, s.responsibleFrom(), s.newClientStages() == null ? Map.of() : s.newClientStages(),
                settings.language(installation), new PactView(installation.pactTokenEnc() != null,
                installation.pactCompanyId(), installation.pactWebhookId()), crmUsers.isPresent(), rows, pactOperators,
                new Automation(s.firstRunPending(), s.newClientResponsible(), s.roundRobinUsers(), s.unansweredTasksOn(),
                        (int) s.unansweredTaskDue().toMinutes()),
                // amoCRM's digital-pipeline action carries it (the widget fills it in for the admin; issue 15).
                installation.crm() == CrmKind.AMOCRM ? installation.hookKey() : null);
    }

    private List<CrmUser> users(Installation installation) {
        return crmUsers(installation).orElse(List.of());
    }

    private Optional<List<CrmUser>> crmUsers(Installation installation) {
        CrmGateway gateway = gateways.get(installation.crm());
        try {
            return gateway == null ? Optional.empty() : Optional.of(gateway.users(installation));
        } catch (OutboundCallException e) {
            LOG.warn("event=settings_crm_users_unavailable installationId={} error=\"{}\"", installation.id(), e.getMessage());
            return Optional.empty();
        }
    }

    private Map<Long, String> operatorNames(Installation installation) {
        Map<Long, String> names = new LinkedHashMap<>();
        operators.findByInstallation(installation.id()).forEach((PactOperator o) -> names.put(o.pactUserId(), o.name()));
        return names;
    }

    /** CRM user id → the one Pact operator whose name equals the user's name or e-mail (accents and case aside). */
    private Map<String, Long> suggestions(Installation installation, List<CrmUser> users, Map<String, UserMapping> saved) {
        List<PactOperator> known = operators.findByInstallation(installation.id());
        Map<String, Long> out = new LinkedHashMap<>();
        for (CrmUser u : users) {
            if (saved.containsKey(u.id())) {
                continue;
            }
            List<Long> matches = known.stream()
                    .filter(o -> o.name() != null && (same(o.name(), u.name()) || same(o.name(), u.email())))
                    .map(PactOperator::pactUserId).distinct().toList();
            if (matches.size() == 1) {
                out.put(u.id(), matches.get(0));
            }
        }
        return out;
    }

    private static boolean same(String a, @Nullable String b) {
        return b != null && Objects.equals(normal(a), normal(b));
    }

    private static String normal(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}", "").strip()
                .replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
