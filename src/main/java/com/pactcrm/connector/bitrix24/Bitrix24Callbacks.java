package com.pactcrm.connector.bitrix24;

import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.crm.form.MalformedFormException;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls Bitrix24 makes to the connector outside its event queue (the messageservice sender, the automation robot):
 * form-urlencoded, authenticated like events by the portal's stored {@code application_token} (bitrix24.md §3.3).
 */
@Singleton
public class Bitrix24Callbacks {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24Callbacks.class);
    private static final Set<String> TOKENS = Set.of("auth[access_token]", "auth[refresh_token]", "auth[application_token]");

    private final InstallationRepository installations;
    private final Bitrix24Installer installer;

    public Bitrix24Callbacks(InstallationRepository installations, Bitrix24Installer installer) {
        this.installations = installations;
        this.installer = installer;
    }

    /** The body as a form; 400 when it is not one. */
    public static BracketedForm form(byte[] body) {
        try {
            return BracketedForm.parse(body);
        } catch (MalformedFormException e) {
            throw ProblemException.badRequest("the body is not form-urlencoded");
        }
    }

    /**
     * The body as it may be journaled: without the access, refresh and application tokens, which must never
     * be stored in plaintext (and are not needed: stored installer tokens are used).
     */
    public static byte[] withoutSecrets(BracketedForm form) {
        return form.without(TOKENS);
    }

    /** The active portal the form's {@code auth} names, when its application token is the stored one; else 401. */
    public Installation installation(BracketedForm form, String caller) {
        String memberId = Bitrix24MemberId.canonicalOrNull(form.get("auth[member_id]"));
        Installation installation = memberId == null ? null
                : installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, memberId).filter(Installation::active).orElse(null);
        if (installation == null || !installer.sameSecret(installation, form.get("auth[application_token]"))) {
            LOG.warn("event=bitrix24_{}_refused memberId={}", caller, memberId);
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the request is not authenticated");
        }
        return installation;
    }
}
