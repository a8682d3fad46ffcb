/** WebSub (W3C Recommendation, 2018): publishing to our hub, and subscribing to the hubs of sources. */
export { discoverHub } from './discover.js'
export { HubPublisher, type PollChange } from './publisher.js'
export { CALLBACK_PREFIX, isPublicUrl, Subscriber, type Delivery, type Discovered, type SubscriberDeps } from './subscriber.js'
export { signBody, verifySignature } from './signature.js'
export { fetchTransport, HUB_TIMEOUT_MS, type HubTransport } from './transport.js'
