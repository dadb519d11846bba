package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.crm.CrmEntityRef;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.installation.InstallationSettings.Stage;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * "If +55 11 98765-4321 writes on WhatsApp now, what happens?" (CRM admins). Answered from the settings, the
 * links the connector keeps and a read-only CRM search: nothing is queued, written or created.
 */
@Controller("/api/v1/dry-run")
@ExecuteOn(TaskExecutors.BLOCKING)
class DryRunController {

    record DryRunRequest(@Nullable String provider, @Nullable String phone) {
    }

    /**
     * {@code client}: LINKED (a conversation with this phone is already linked to {@code entity}), FOUND (the CRM
     * has the contact), CREATED (a contact and a lead/deal would be created in {@code stage}; null stage: the CRM's
     * default pipeline), NOT_CREATED (auto-create is off), UNKNOWN (the CRM could not be asked just now).
     * {@code responsible}: who owns it then (the existing entity's responsible, or the CRM's default user).
     */
    record DryRunResult(String phone, String provider, String client, @Nullable CrmEntityRef entity,
                        @Nullable Stage stage, String responsible, boolean statuses, boolean history) {
    }

    private static final Set<String> PROVIDERS = Set.of("whatsapp", "whatsapp_business", "telegram_personal", "telegram",
            "instagram", "avito", "vkontakte", "max", "viber", "facebook");

    private final WidgetAuth auth;
    private final ConversationLinkRepository links;
    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);

    DryRunController(WidgetAuth auth, ConversationLinkRepository links, List<CrmGateway> gateways) {
        this.auth = auth;
        this.links = links;
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
    }

    @Post
    DryRunResult dryRun(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                        @Body DryRunRequest request) {
        Installation installation = auth.admin(authorization, origin).installation();
        if (request.provider() == null || !PROVIDERS.contains(request.provider())) {
            throw ProblemException.badRequest("provider must be a Pact channel, e.g. whatsapp");
        }
        String phone = Phone.of(request.phone()).digits();
        if (phone.length() < 10 || phone.length() > 15) {
            throw ProblemException.badRequest("'" + request.phone() + "' is not a phone number: use the international "
                    + "format, country code first, e.g. +55 11 98765-4321");
        }
        InstallationSettings settings = InstallationSettings.of(installation.settings());
        Optional<ConversationLink> linked = links.findBySender(installation.id(), request.provider(), phone).stream().findFirst();
        if (linked.isPresent()) {
            return result(phone, request, "LINKED",
                    new CrmEntityRef(linked.get().crmEntityType(), linked.get().crmEntityId()), null, "entity", settings);
        }
        if (!settings.autoCreateClientsOn()) {
            return result(phone, request, "NOT_CREATED", null, null, "none", settings);
        }
        CrmGateway gateway = gateways.get(installation.crm());
        try {
            Optional<CrmEntityRef> found = gateway == null ? Optional.empty() : gateway.findClientByPhone(installation, phone);
            if (found.isPresent()) {
                return result(phone, request, "FOUND", found.get(), null, "entity", settings);
            }
        } catch (OutboundCallException e) {
            return result(phone, request, "UNKNOWN", null, null, "unknown", settings);
        }
        return result(phone, request, "CREATED", null, settings.newClientStage(request.provider()).orElse(null),
                "crm-default", settings);
    }

    private static DryRunResult result(String phone, DryRunRequest request, String client, @Nullable CrmEntityRef entity,
                                       @Nullable Stage stage, String responsible, InstallationSettings settings) {
        return new DryRunResult(phone, request.provider(), client, entity, stage, responsible, settings.statusesOn(),
                settings.historyOn());
    }
}
