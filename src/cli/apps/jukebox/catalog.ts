/** A track of the jukebox's catalog. There is no audio: a track is a title and a length. */
export interface Track {
  /** Unique in the catalog; what pages send to like, skip or request it. */
  readonly id: string;
  readonly title: string;
  readonly artist: string;
  /** Its length in ms. */
  readonly duration: number;
}

/** The built-in catalog: made-up tracks by made-up artists. */
export const CATALOG: readonly Track[] = [
  { id: 'tin-lanterns', title: 'Tin Lanterns', artist: 'The Quiet Relays', duration: 194_000 },
  { id: 'harbour-static', title: 'Harbour Static', artist: 'Mira Okafor', duration: 221_000 },
  { id: 'slow-handshake', title: 'Slow Handshake', artist: 'Packet Choir', duration: 167_000 },
  { id: 'northbound', title: 'Northbound', artist: 'Elsa & the Long Polls', duration: 243_000 },
  { id: 'paper-satellites', title: 'Paper Satellites', artist: 'Juno Park', duration: 208_000 },
  { id: 'midnight-ack', title: 'Midnight Ack', artist: 'The Quiet Relays', duration: 182_000 },
  { id: 'copper-rain', title: 'Copper Rain', artist: 'Tomas Veld', duration: 256_000 },
  { id: 'open-frame', title: 'Open Frame', artist: 'Packet Choir', duration: 199_000 },
  { id: 'lighthouse-keeper', title: 'Lighthouse Keeper', artist: 'Mira Okafor', duration: 231_000 },
  { id: 'zero-latency', title: 'Zero Latency', artist: 'Juno Park', duration: 174_000 },
  { id: 'glass-orchard', title: 'Glass Orchard', artist: 'Elsa & the Long Polls', duration: 215_000 },
  { id: 'last-bus-home', title: 'Last Bus Home', artist: 'Tomas Veld', duration: 238_000 },
];
