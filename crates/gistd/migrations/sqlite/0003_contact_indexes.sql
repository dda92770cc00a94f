-- Indexes for the contacts API: contact lists sorted by last change, segment lists, and
-- each contact's conversations (a contact's `last_contacted_at` is its newest teammate
-- reply).

CREATE INDEX contacts_workspace_updated ON contacts (workspace_id, updated_at, id);
CREATE INDEX segments_workspace ON segments (workspace_id, id);
CREATE INDEX conversation_contacts_contact ON conversation_contacts (contact_id);
