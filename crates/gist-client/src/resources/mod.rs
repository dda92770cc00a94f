//! One method group per resource of the REST API, as Gist's Ruby client groups them:
//! `client.contacts()`, `client.conversations()`, and so on. Each group borrows the
//! [`Client`] and sends through it, so every call shares its credential, its connection
//! pool and its rate-limit retries.

use crate::client::Client;

mod campaigns;
mod contacts;
mod conversations;
mod events;
mod forms;
mod segments;
mod subscription_types;
mod tags;
mod teammates;
mod teams;

pub use campaigns::Campaigns;
pub use contacts::Contacts;
pub use conversations::Conversations;
pub use events::Events;
pub use forms::Forms;
pub use segments::Segments;
pub use subscription_types::SubscriptionTypes;
pub use tags::Tags;
pub use teammates::Teammates;
pub use teams::Teams;

impl Client {
    /// Contacts: users and leads (`/contacts`).
    pub fn contacts(&self) -> Contacts<'_> {
        Contacts { client: self }
    }

    /// Conversations, their messages, assignment, priority, tags and counts
    /// (`/conversations`).
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations { client: self }
    }

    /// Tracked events (`/events`).
    pub fn events(&self) -> Events<'_> {
        Events { client: self }
    }

    /// Tags, and tagging contacts (`/tags`).
    pub fn tags(&self) -> Tags<'_> {
        Tags { client: self }
    }

    /// Segments (`/segments`).
    pub fn segments(&self) -> Segments<'_> {
        Segments { client: self }
    }

    /// Forms and their submissions (`/forms`).
    pub fn forms(&self) -> Forms<'_> {
        Forms { client: self }
    }

    /// Email campaigns and subscribing contacts to them (`/campaigns`).
    pub fn campaigns(&self) -> Campaigns<'_> {
        Campaigns { client: self }
    }

    /// Subscription types and contacts' opt-ins (`/subscription_types`).
    pub fn subscription_types(&self) -> SubscriptionTypes<'_> {
        SubscriptionTypes { client: self }
    }

    /// Teams of teammates (`/teams`).
    pub fn teams(&self) -> Teams<'_> {
        Teams { client: self }
    }

    /// The workspace's teammates (`/teammates`).
    pub fn teammates(&self) -> Teammates<'_> {
        Teammates { client: self }
    }
}
