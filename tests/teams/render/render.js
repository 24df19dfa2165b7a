// Renders one Adaptive Card as Teams would (the adaptivecards renderer with Teams' host
// config) and reports what a person sees: every button and choice with whether its label
// fits, the text blocks with their computed size and weight, and the parser's complaints.
// Loaded into headless chromium by tests/teams/test_render.py after adaptivecards.min.js.
"use strict";

(function () {
  const AC = window.AdaptiveCards;

  // Teams renders a subset of Markdown in a TextBlock: enough of it for the widths.
  function escape(text) {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = escape(text)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>');
    result.didProcess = true;
  };

  function cut(element) {
    // A label is cut when its text needs more room than its box gives it (ellipsis), or
    // when the box itself sticks out of the card.
    return element.scrollWidth > element.clientWidth + 0.5;
  }

  function box(element, host) {
    const r = element.getBoundingClientRect();
    const h = host.getBoundingClientRect();
    return {
      left: r.left - h.left,
      right: r.right - h.left,
      top: r.top - h.top,
      width: r.width,
      height: r.height,
    };
  }

  window.renderTeamsCard = function (payload, hostConfig, width, name) {
    const card = new AC.AdaptiveCard();
    card.hostConfig = new AC.HostConfig(hostConfig);
    const context = new AC.SerializationContext(new AC.Version(1, 5));
    card.parse(payload, context);
    const problems = [];
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
    }
    for (const e of card.validateProperties().validationEvents) {
      problems.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
    }

    const host = document.createElement("div");
    host.className = "phone";
    host.id = name;
    host.style.width = `${width}px`;
    host.appendChild(card.render());
    document.body.appendChild(host);

    const buttons = [...host.querySelectorAll("button.ac-pushButton")].map((b) => {
      const title = b.querySelector("div") || b;
      return {
        label: b.textContent.trim(),
        cut: cut(b) || cut(title),
        ...box(b, host),
      };
    });
    const choices = [...host.querySelectorAll(".ac-choiceSetInput-expanded label")].map((l) => ({
      label: l.textContent.trim(),
      cut: cut(l),
      ...box(l, host),
    }));
    const texts = [...host.querySelectorAll(".ac-textBlock")].map((t) => {
      const style = getComputedStyle(t);
      return {
        text: t.textContent.trim(),
        size: parseFloat(style.fontSize),
        weight: parseInt(style.fontWeight, 10),
        cut: cut(t),
      };
    });
    return {
      problems,
      width: host.clientWidth,
      scrollWidth: host.scrollWidth,
      overflowMenu: host.querySelectorAll(".ac-overflow, [aria-label='More options']").length,
      buttons,
      choices,
      texts,
    };
  };
})();
