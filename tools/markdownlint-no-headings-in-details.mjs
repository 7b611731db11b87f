// A markdownlint rule: no heading inside an HTML <details> block. Example output folded into <details>
// belongs in a fenced block; unfenced, its headings become sections of the page (the sample plan report of
// docs/ci-and-reviews.md once put its "## Terraform plan" and "### <stack>" headings among the page's own).

/** @type {import("markdownlint").Rule} */
const noHeadingsInDetails = {
  names: ["cloudrim/no-headings-in-details"],
  description: "Headings inside <details> (fence example output instead)",
  tags: ["headings", "html"],
  parser: "micromark",
  function: (params, onError) => {
    const tokens = params.parsers.micromark.tokens;
    const events = tokens
      .flatMap((token) => {
        if (token.type === "htmlFlow") {
          const opens = (token.text.match(/<details[\s>]/g) ?? []).length;
          const closes = (token.text.match(/<\/details>/g) ?? []).length;
          return [{ line: token.startLine, change: opens - closes, heading: false }];
        }
        if (token.type === "atxHeading" || token.type === "setextHeading") {
          return [{ line: token.startLine, change: 0, heading: true }];
        }
        return [];
      })
      .sort((a, b) => a.line - b.line);
    let depth = 0;
    for (const event of events) {
      if (event.heading && depth > 0) {
        onError({ lineNumber: event.line, detail: "fence the example (```markdown) so its headings stay its own" });
      }
      depth = Math.max(0, depth + event.change);
    }
  },
};

export default noHeadingsInDetails;
