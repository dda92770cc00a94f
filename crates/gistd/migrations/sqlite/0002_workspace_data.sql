-- Workspace data served by the REST API: contacts, tags, segments, events, teams,
-- conversations and messages, forms, campaigns, subscription types, and the API's rate
-- limit windows. Times are Unix seconds; JSON documents are stored as text.

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT,
    email TEXT,
    name TEXT,
    phone TEXT,
    avatar TEXT,
    signed_up_at INTEGER,
    last_seen_at INTEGER,
    last_seen_ip TEXT,
    last_seen_user_agent TEXT,
    landing_url TEXT,
    original_referrer TEXT,
    session_count INTEGER NOT NULL DEFAULT 0,
    unsubscribed_from_emails BOOLEAN NOT NULL DEFAULT FALSE,
    custom_properties TEXT NOT NULL DEFAULT '{}',
    location_data TEXT NOT NULL DEFAULT '{}',
    social_profiles TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, email),
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX contacts_workspace_created ON contacts (workspace_id, created_at, id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, name_key)
);

CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE segment_contacts (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (segment_id, contact_id)
);
CREATE INDEX segment_contacts_contact ON segment_contacts (contact_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    occurred_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, id);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    membership_id INTEGER NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, membership_id)
);
CREATE INDEX team_members_membership ON team_members (membership_id);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title TEXT,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'snoozed')),
    priority TEXT NOT NULL DEFAULT 'not_priority',
    assignee_type TEXT CHECK (assignee_type IN ('teammate', 'team')),
    assignee_id INTEGER,
    custom_properties TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_workspace ON conversations (workspace_id, updated_at, id);

CREATE TABLE conversation_contacts (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, contact_id)
);

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_type TEXT NOT NULL CHECK (message_type IN ('reply', 'note')),
    body TEXT NOT NULL,
    author_type TEXT NOT NULL CHECK (author_type IN ('teammate', 'contact')),
    author_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE forms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE form_submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id INTEGER NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    fields TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX form_submissions_form ON form_submissions (form_id, id);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE campaign_subscriptions (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    starting_email_index INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, contact_id)
);

CREATE TABLE subscription_types (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE contact_subscription_types (
    subscription_type_id INTEGER NOT NULL REFERENCES subscription_types (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (subscription_type_id, contact_id)
);

-- Fixed rate-limit windows of the REST API, per workspace, shared by every instance.
CREATE TABLE api_rate_windows (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, window_start)
);
