package com.pactcrm.connector.crm;

/** A CRM entity: {@code type} is lead, deal or contact. */
public record CrmEntityRef(String type, String id) {
}
