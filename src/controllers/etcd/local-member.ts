/** What the etcd controllers ask of the node's running etcd member (the node implements it). */
export interface LocalEtcdMember {
  /** The running local member's id, hex as etcdctl prints it. */
  memberId(): Promise<string>;
  /** Sets the local member's peer URLs when they differ from `urls` (a live MemberUpdate). */
  updatePeerUrls(urls: readonly string[]): Promise<void>;
}
