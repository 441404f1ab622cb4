package contracttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/config"
)

// TestAsyncAPI: docs/asyncapi.yaml is an AsyncAPI 3 document whose
// channels are the contract's subjects under the default names, each with
// a payload schema of docs/schema, and whose operations and message
// references all resolve.
func TestAsyncAPI(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "docs", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["asyncapi"] != "3.0.0" {
		t.Errorf("asyncapi: %v, want 3.0.0", doc["asyncapi"])
	}
	get := func(m any, keys ...string) any {
		for _, k := range keys {
			mm, ok := m.(map[string]any)
			if !ok {
				return nil
			}
			m = mm[k]
		}
		return m
	}
	resolve := func(ref string) any {
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("reference %q is not local", ref)
			return nil
		}
		v := get(doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
		if v == nil {
			t.Errorf("reference %q does not resolve", ref)
		}
		return v
	}

	n := config.Default().Names
	wantAddresses := map[string]bool{
		n.FiredPrefix + ".{bot_id}":                                 true,
		n.OrderedPrefix + ".{bot_id}.{conversation_id}":             true,
		n.ReplayPrefix + ".{bot_id}":                                true,
		n.ResultPrefix + ".{bot_id}":                                true,
		n.DLQPrefix + ".{bot_id}.{class}":                           true,
		"$KV." + config.Default().Webhooks.Bucket + ".{webhook_id}": true,
		api.SubjectRender:                                           true,
		api.SubjectValidate:                                         true,
		api.SubjectDLQList:                                          true,
		api.SubjectDLQShow:                                          true,
		api.SubjectReplay:                                           true,
		api.SubjectStatus:                                           true,
		"$SRV.PING." + api.Name:                                     true,
		"$SRV.INFO." + api.Name:                                     true,
		"$SRV.STATS." + api.Name:                                    true,
	}
	channels, _ := doc["channels"].(map[string]any)
	replyChannel := false
	payloads := map[string]bool{}
	for name, ch := range channels {
		addr := get(ch, "address")
		if addr == nil {
			replyChannel = true
		} else if !wantAddresses[addr.(string)] {
			t.Errorf("channel %s: address %v is not a subject of the contract", name, addr)
		} else {
			delete(wantAddresses, addr.(string))
		}
		if s, ok := addr.(string); ok {
			for _, p := range paramsOf(s) {
				if get(ch, "parameters", p) == nil {
					t.Errorf("channel %s: parameter %s is not described", name, p)
				}
			}
		}
		msgs, _ := get(ch, "messages").(map[string]any)
		if len(msgs) == 0 {
			t.Errorf("channel %s has no message", name)
		}
		for mname, m := range msgs {
			ref, _ := get(m, "$ref").(string)
			msg := resolve(ref)
			schemaRef, _ := get(msg, "payload", "schema", "$ref").(string)
			file, _, _ := strings.Cut(strings.TrimPrefix(schemaRef, "./"), "#")
			if _, err := os.Stat(filepath.Join(root, "docs", file)); schemaRef == "" || err != nil {
				t.Errorf("channel %s message %s: payload %q is not a file of docs/schema", name, mname, schemaRef)
			}
			payloads[file] = true
		}
	}
	for addr := range wantAddresses {
		t.Errorf("no channel for %s", addr)
	}
	if !replyChannel {
		t.Error("no channel for the event's reply_to (address null)")
	}
	for _, f := range schemaFiles {
		if !payloads["schema/"+f+".schema.json"] {
			t.Errorf("no message carries schema/%s.schema.json", f)
		}
	}
	ops, _ := doc["operations"].(map[string]any)
	actions := map[string]bool{}
	for name, op := range ops {
		action, _ := get(op, "action").(string)
		if action != "send" && action != "receive" {
			t.Errorf("operation %s: action %q", name, action)
		}
		actions[action] = true
		chRef, _ := get(op, "channel", "$ref").(string)
		resolve(chRef)
		list, _ := get(op, "messages").([]any)
		for _, m := range list {
			ref, _ := get(m, "$ref").(string)
			if !strings.HasPrefix(ref, chRef+"/messages/") {
				t.Errorf("operation %s: message %q is not one of its channel's", name, ref)
			}
			resolve(ref)
		}
		if reply := get(op, "reply"); reply != nil {
			replyRef, _ := get(reply, "channel", "$ref").(string)
			resolve(replyRef)
			list, _ := get(reply, "messages").([]any)
			if len(list) == 0 {
				t.Errorf("operation %s: a reply without messages", name)
			}
			for _, m := range list {
				ref, _ := get(m, "$ref").(string)
				if !strings.HasPrefix(ref, replyRef+"/messages/") {
					t.Errorf("operation %s: reply message %q is not one of its reply channel's", name, ref)
				}
				resolve(ref)
			}
		}
	}
	if !actions["send"] || !actions["receive"] {
		t.Errorf("operations have actions %v: want send and receive", actions)
	}
}

// paramsOf lists the {name} parameters of a channel address.
func paramsOf(addr string) []string {
	var out []string
	for {
		i := strings.Index(addr, "{")
		j := strings.Index(addr, "}")
		if i < 0 || j < i {
			return out
		}
		out = append(out, addr[i+1:j])
		addr = addr[j+1:]
	}
}
