//! The Price List Query API adapter on `aws-sdk-pricing`: `GetProducts` for
//! the products a set of [`PriceKey`]s means, read by
//! [`crate::pricing::answer_from_items`].
//!
//! One `GetProducts` query per distinct product filter set (the service code
//! and `TERM_MATCH` filters from [`ProductSpec`]), every page read. The API
//! answers from us-east-1 (and a few other regions) whatever region the
//! prices are for: build the adapter on a configuration for such a region
//! and pass the estate's region to [`PricingAdapter::quotes`]. SDK types
//! never leave this file.

use std::collections::BTreeMap;

use aws_sdk_pricing::Client;
use aws_sdk_pricing::types::{Filter, FilterType};

use async_trait::async_trait;

use super::AwsError;
use crate::ports::PricingPort;
use crate::pricing::{PriceKey, PriceListAnswer, ProductSpec, answer_from_items};

const SERVICE: &str = "pricing";
const OPERATION: &str = "GetProducts";

/// One `GetProducts` query: service code and `TERM_MATCH` filters.
type Query = (&'static str, Vec<(&'static str, String)>);

/// The largest `MaxResults` GetProducts accepts.
const MAX_PAGE: i32 = 100;

/// AWS list prices through the Price List Query API.
#[derive(Debug, Clone)]
pub struct PricingAdapter {
    client: Client,
    page_size: Option<i32>,
}

impl PricingAdapter {
    /// A client on the shared configuration (credentials, endpoint,
    /// retries). Its region must be one the API is served from (us-east-1,
    /// ap-south-1, ...), not necessarily the estate's.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        PricingAdapter {
            client: Client::from_conf(
                aws_sdk_pricing::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
            page_size: None,
        }
    }

    /// Asks for pages of `results` products (`MaxResults`, clamped to
    /// 1–100); the service default otherwise. Tests use small pages to show
    /// that every page is read.
    pub fn with_page_size(mut self, results: i32) -> Self {
        self.page_size = Some(results.clamp(1, MAX_PAGE));
        self
    }
}

#[async_trait]
impl PricingPort for PricingAdapter {
    /// Why there is no price for a key: unsupported key, no product, a
    /// product that refuses, several products. An [`AwsError`] when a
    /// `GetProducts` call fails (after the SDK's retries): the caller falls
    /// back on the cache or a snapshot.
    async fn quotes(&self, region: &str, keys: &[PriceKey]) -> Result<PriceListAnswer, AwsError> {
        // Keys that share a filter set share a query (e.g. every MSK key).
        let mut queries: BTreeMap<Query, Vec<PriceKey>> = BTreeMap::new();
        let mut unsupported = Vec::new();
        for key in keys {
            match ProductSpec::for_key(key, region) {
                Ok(spec) => queries
                    .entry((spec.service_code, spec.attributes))
                    .or_default()
                    .push(key.clone()),
                Err(_) => unsupported.push(key.clone()),
            }
        }
        let mut answer = answer_from_items(region, &unsupported, std::iter::empty());
        for ((service_code, attributes), keys) in queries {
            let items = self.products(service_code, &attributes).await?;
            let part = answer_from_items(region, &keys, items.iter().map(String::as_str));
            answer.quotes.extend(part.quotes);
            answer.unpriced.extend(part.unpriced);
        }
        Ok(answer)
    }
}

impl PricingAdapter {
    /// Every `PriceList` item of `service_code` with these attributes.
    async fn products(
        &self,
        service_code: &str,
        attributes: &[(&'static str, String)],
    ) -> Result<Vec<String>, AwsError> {
        let mut request = self
            .client
            .get_products()
            .service_code(service_code)
            .format_version("aws_v1");
        for (field, value) in attributes {
            let filter = Filter::builder()
                .r#type(FilterType::TermMatch)
                .field(*field)
                .value(value)
                .build()
                .map_err(|e| AwsError::malformed(SERVICE, OPERATION, e.to_string()))?;
            request = request.filters(filter);
        }
        let mut pages = request.into_paginator();
        if let Some(n) = self.page_size {
            pages = pages.page_size(n);
        }
        let mut stream = pages.send();
        let mut out = Vec::new();
        while let Some(page) = stream.next().await {
            let page = page.map_err(|e| AwsError::from_sdk(SERVICE, OPERATION, service_code, e))?;
            out.extend(page.price_list().iter().cloned());
        }
        Ok(out)
    }
}
