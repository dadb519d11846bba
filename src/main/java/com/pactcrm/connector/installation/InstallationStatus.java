package com.pactcrm.connector.installation;

/** Lifecycle of an installation. Only ACTIVE installations have their webhooks accepted. */
public enum InstallationStatus {
    ACTIVE,
    /** The CRM's refresh token no longer works: an admin must install or authorise again. */
    REAUTH_REQUIRED,
    /** Uninstalled or disconnected in the CRM; tokens are wiped. */
    INACTIVE
}
