package com.pactcrm.connector.installation;

/** The CRM an installation belongs to. */
public enum CrmKind {
    AMOCRM,
    BITRIX24
}
