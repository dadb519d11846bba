package com.pactcrm.connector.widgetapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads and writes the installation's settings JSON for the widget API. Writes merge into the stored
 * object, so keys other features keep there survive an admin's save.
 */
@Singleton
class WidgetSettings {

    /** The UI's languages; pt is the default for this market. */
    static final List<String> LANGUAGES = List.of("pt", "en", "ru", "es");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InstallationRepository installations;
    private final UserMappingRepository users;

    WidgetSettings(InstallationRepository installations, UserMappingRepository users) {
        this.installations = installations;
        this.users = users;
    }

    ObjectNode json(Installation installation) {
        try {
            return installation.settings() == null || installation.settings().isBlank() ? JSON.createObjectNode()
                    : (ObjectNode) JSON.readTree(installation.settings());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String language(Installation installation) {
        String language = json(installation).path("language").asText("");
        return LANGUAGES.contains(language) ? language : LANGUAGES.get(0);
    }

    /** Applies {@code change} to the stored JSON and saves it (optimistic: a concurrent save fails, not lost). */
    Installation update(Installation installation, Consumer<ObjectNode> change) {
        ObjectNode json = json(installation);
        change.accept(json);
        return installations.update(new Installation(installation.id(), installation.crm(), installation.crmAccountId(),
                installation.crmHost(), installation.status(), installation.hookKey(), installation.pactHookKey(),
                installation.accessTokenEnc(), installation.refreshTokenEnc(), installation.tokenExpiresAt(),
                installation.applicationTokenEnc(), installation.pactCompanyId(), installation.pactTokenEnc(),
                installation.pactWebhookId(), json.toString(), installation.version(), installation.createdAt(),
                installation.updatedAt()));
    }

    /** The caller's name: from the session when the CRM gave one, else from the admin's user mapping. */
    String userName(Caller caller) {
        if (caller.session().userName() != null && !caller.session().userName().isBlank()) {
            return caller.session().userName();
        }
        return users.findByCrmUser(caller.installation().id(), caller.session().crmUserId())
                .map(UserMapping::crmUserName).orElse(null);
    }
}
