package events

// Kinds returns every event kind, in the order the panel's filter lists them.
func Kinds() []string {
	return []string{KindConnect, KindEntered, KindDisconnect, KindChat, KindTeamChat, KindMap, KindRCON, KindOther}
}
