//! Lists: one page at a time ([`List`] awaited), or every page by following `pages.next`
//! ([`Pages`]), without a streams library.

use crate::client::Client;
use crate::error::{Error, Result};
use gist_types::conversations::{
    AssigneeCount, ConversationsResponse, MessagesResponse, TeamCountsResponse,
    TeammateCountsResponse,
};
use gist_types::events::EventsResponse;
use gist_types::marketing::{
    CampaignsResponse, FormsResponse, SubmissionsResponse, SubscriptionTypesResponse,
};
use gist_types::pages::PageLinks;
use gist_types::teams::TeamsResponse;
use gist_types::{ContactsResponse, SegmentsResponse, TagsResponse};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

/// One page of a list: its items and the links to the other pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in the server's order.
    pub items: Vec<T>,
    /// Where this page sits: page number, totals and the URLs of its neighbours.
    pub links: PageLinks,
}

/// Splits a list response into its items and its `pages` object.
type Extract<T> = fn(Value) -> Result<(Vec<T>, PageLinks), serde_json::Error>;

/// A list request, not sent yet.
///
/// `.await` it for the one page its parameters ask for, or call [`List::pages`] to walk
/// every page from there on.
#[must_use = "a list does nothing until awaited or walked with `pages()`"]
pub struct List<T> {
    client: Client,
    url: Result<Url>,
    extract: Extract<T>,
}

impl<T> List<T> {
    pub(crate) fn new<R: Listing<Item = T>>(client: &Client, url: Result<Url>) -> List<T> {
        List {
            client: client.clone(),
            url,
            extract: extract::<R>,
        }
    }

    /// Fetches the page the list's parameters ask for (the first by default).
    pub async fn send(self) -> Result<Page<T>> {
        let value: Value = self.client.send(Method::GET, self.url?, None).await?;
        let (items, links) = (self.extract)(value)?;
        Ok(Page { items, links })
    }

    /// Walks the list page by page, from the requested page to the last.
    pub fn pages(self) -> Pages<T> {
        let (next, error) = match self.url {
            Ok(url) => (Some(url), None),
            Err(error) => (None, Some(error)),
        };
        Pages {
            client: self.client,
            next,
            error,
            extract: self.extract,
        }
    }
}

impl<T: Send + 'static> IntoFuture for List<T> {
    type Output = Result<Page<T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Every page of a list, fetched one at a time by following each page's `pages.next`.
///
/// ```no_run
/// # async fn run(client: gist_client::Client) -> gist_client::Result<()> {
/// use gist_client::params::ContactListParams;
///
/// let mut pages = client.contacts().list(ContactListParams::default()).pages();
/// while let Some(contacts) = pages.next_page().await? {
///     for contact in contacts {
///         println!("{}", contact.id);
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Pages<T> {
    client: Client,
    next: Option<Url>,
    error: Option<Error>,
    extract: Extract<T>,
}

impl<T> Pages<T> {
    /// The next page's items, or `None` once the last page has been returned.
    ///
    /// The walk ends when a page has no `pages.next` link, or when a page is empty (so a
    /// server that keeps linking to empty pages cannot keep it going). A link to another
    /// origin than the client's base URL is refused with [`Error::InvalidUrl`], since the
    /// credential would be sent with it. After any other error, calling again retries the
    /// same page.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let Some(url) = self.next.take() else {
            return Ok(None);
        };

        let fetched = self
            .client
            .send::<Value>(Method::GET, url.clone(), None)
            .await;
        let (items, links) = match fetched.and_then(|value| Ok((self.extract)(value)?)) {
            Ok(page) => page,
            Err(error) => {
                // Calling again retries the same page.
                self.next = Some(url);
                return Err(error);
            }
        };

        if !items.is_empty()
            && let Some(next) = links.next.as_deref().filter(|next| !next.is_empty())
        {
            self.next = Some(self.client.checked_link(next)?);
        }
        Ok(Some(items))
    }

    /// Every remaining item, in order, in one vector.
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(items) = self.next_page().await? {
            all.extend(items);
        }
        Ok(all)
    }
}

/// A list response of the API: a vector of items and a `pages` object.
pub(crate) trait Listing: DeserializeOwned {
    /// The list's item type.
    type Item;
    /// The items and the `pages` object (when present).
    fn into_parts(self) -> (Vec<Self::Item>, Option<Value>);
}

fn extract<R: Listing>(value: Value) -> Result<(Vec<R::Item>, PageLinks), serde_json::Error> {
    let (items, pages) = serde_json::from_value::<R>(value)?.into_parts();
    let links = match pages {
        Some(pages) if !pages.is_null() => serde_json::from_value(pages)?,
        _ => PageLinks::default(),
    };
    Ok((items, links))
}

/// Implements [`Listing`] for a response whose items are in `$field`.
macro_rules! listing {
    ($response:ty, $item:ty, $($field:ident).+, optional) => {
        impl Listing for $response {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, Option<Value>) {
                (self.$($field).+, self.pages)
            }
        }
    };
    ($response:ty, $item:ty, $($field:ident).+) => {
        impl Listing for $response {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, Option<Value>) {
                (self.$($field).+, Some(self.pages))
            }
        }
    };
}

listing!(ContactsResponse, gist_types::Contact, contacts, optional);
listing!(TagsResponse, gist_types::Tag, tags, optional);
listing!(SegmentsResponse, gist_types::Segment, segments, optional);
listing!(
    ConversationsResponse,
    gist_types::conversations::Conversation,
    conversations
);
listing!(
    MessagesResponse,
    gist_types::conversations::Message,
    messages
);
listing!(TeamCountsResponse, AssigneeCount, conversation_count.teams);
listing!(
    TeammateCountsResponse,
    AssigneeCount,
    conversation_count.teammates
);
listing!(EventsResponse, gist_types::events::Event, events);
listing!(FormsResponse, gist_types::marketing::Form, forms);
listing!(
    SubmissionsResponse,
    gist_types::marketing::FormSubmission,
    submissions
);
listing!(
    CampaignsResponse,
    gist_types::marketing::Campaign,
    campaigns
);
listing!(
    SubscriptionTypesResponse,
    gist_types::marketing::SubscriptionType,
    subscription_types
);
listing!(TeamsResponse, gist_types::teams::Team, teams);
