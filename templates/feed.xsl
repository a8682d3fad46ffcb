<?xml version="1.0" encoding="utf-8"?>
<!--
  The "pretty feed": what a browser shows when someone opens one of our RSS or Atom feeds
  (issue 4 point 5). XSLT 1.0, so every browser's built-in processor runs it. Feed readers never
  fetch it: the <?xml-stylesheet?> processing instruction means nothing to them.
  Texts are in Chinese for zh* feeds and in English otherwise.
-->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="lang" select="string(/rss/channel/language | /atom:feed/@xml:lang)"/>
  <xsl:variable name="zh" select="starts-with(translate($lang, 'ZH', 'zh'), 'zh')"/>
  <xsl:variable name="traditional" select="$zh and (contains($lang, 'TW') or contains($lang, 'HK') or contains($lang, 'MO') or contains($lang, 'Hant'))"/>
  <xsl:variable name="title" select="string(/rss/channel/title | /atom:feed/atom:title)"/>
  <xsl:variable name="description" select="string(/rss/channel/description | /atom:feed/atom:subtitle)"/>
  <xsl:variable name="self" select="string(/rss/channel/*[local-name() = 'link' and @rel = 'self']/@href | /atom:feed/atom:link[@rel = 'self']/@href)"/>
  <xsl:variable name="home" select="string(/rss/channel/link | /atom:feed/atom:link[not(@rel) or @rel = 'alternate']/@href)"/>
  <xsl:variable name="rights" select="string(/rss/channel/copyright | /atom:feed/atom:rights)"/>
  <xsl:variable name="next" select="string(/rss/channel/*[local-name() = 'link' and @rel = 'next']/@href | /atom:feed/atom:link[@rel = 'next']/@href)"/>

  <xsl:template match="/">
    <html lang="{$lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title><xsl:value-of select="$title"/></title>
        <style>
          :root { color-scheme: light dark; --fg: #1d2127; --muted: #5f6670; --line: #d9dde3; --accent: #b3261e; --box: #f5f6f8; }
          @media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #a2a9b3; --line: #3a3f46; --accent: #ff8a80; --box: #23272d; } }
          body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: var(--fg); }
          main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
          header { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1rem; }
          h1 { font-size: 1.6rem; margin: .2rem 0; }
          .badge { display: inline-block; font-size: .8rem; font-weight: 600; color: #fff; background: var(--accent); border-radius: .3rem; padding: .05rem .45rem; }
          .subscribe { background: var(--box); border-radius: .5rem; padding: .8rem 1rem; margin: 1rem 0; }
          .subscribe code { display: block; overflow-wrap: anywhere; user-select: all; margin: .4rem 0; font-size: .95rem; }
          .muted, time { color: var(--muted); font-size: .9rem; }
          article { padding: .8rem 0; border-bottom: 1px solid var(--line); }
          article h2 { font-size: 1.1rem; margin: 0 0 .2rem; }
          article p { margin: .3rem 0 0; }
          a { color: inherit; }
          footer { margin-top: 1.5rem; font-size: .85rem; color: var(--muted); }
        </style>
      </head>
      <body>
        <main>
          <header>
            <span class="badge">
              <xsl:choose>
                <xsl:when test="/rss">RSS</xsl:when>
                <xsl:otherwise>Atom</xsl:otherwise>
              </xsl:choose>
            </span>
            <h1><xsl:value-of select="$title"/></h1>
            <xsl:if test="$description != '' and $description != $title">
              <p class="muted"><xsl:value-of select="$description"/></p>
            </xsl:if>
            <div class="subscribe">
              <xsl:choose>
                <xsl:when test="$traditional">這是一個訂閱源（feed）。把下面的網址複製到你的閱讀器（如 Feedly、Inoreader、NetNewsWire、Thunderbird）中即可訂閱，新文章會自動送達：</xsl:when>
                <xsl:when test="$zh">这是一个订阅源（feed）。把下面的网址复制到你的阅读器（如 Feedly、Inoreader、NetNewsWire、Thunderbird）中即可订阅，新文章会自动送达：</xsl:when>
                <xsl:otherwise>This is a web feed. Copy the address below into your feed reader (Feedly, Inoreader, NetNewsWire, Thunderbird…) to subscribe and get new articles as they appear:</xsl:otherwise>
              </xsl:choose>
              <code><xsl:value-of select="$self"/></code>
              <xsl:if test="$home != ''">
                <a href="{$home}">
                  <xsl:choose>
                    <xsl:when test="$traditional">前往網站</xsl:when>
                    <xsl:when test="$zh">前往网站</xsl:when>
                    <xsl:otherwise>Visit the site</xsl:otherwise>
                  </xsl:choose>
                </a>
              </xsl:if>
            </div>
          </header>
          <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
          <xsl:if test="$next != ''">
            <p>
              <a href="{$next}" rel="next">
                <xsl:choose>
                  <xsl:when test="$traditional">更早的文章 →</xsl:when>
                  <xsl:when test="$zh">更早的文章 →</xsl:when>
                  <xsl:otherwise>Older articles →</xsl:otherwise>
                </xsl:choose>
              </a>
            </p>
          </xsl:if>
          <footer>
            <p class="disclaimer"><xsl:value-of select="$rights"/></p>
          </footer>
        </main>
      </body>
    </html>
  </xsl:template>

  <!-- One story. Summaries are our own plain text, HTML-escaped once by the renderer: shown as text. -->
  <xsl:template match="item">
    <article>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <div class="muted">
        <xsl:value-of select="source"/>
        <xsl:text> · </xsl:text>
        <time><xsl:value-of select="pubDate"/></time>
      </div>
      <xsl:if test="description">
        <p><xsl:call-template name="unescape"><xsl:with-param name="text" select="description"/></xsl:call-template></p>
      </xsl:if>
    </article>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article>
      <h2>
        <a href="{atom:link[not(@rel) or @rel = 'alternate'][1]/@href}">
          <xsl:call-template name="unescape"><xsl:with-param name="text" select="atom:title"/></xsl:call-template>
        </a>
      </h2>
      <div class="muted">
        <xsl:value-of select="atom:source/atom:title"/>
        <xsl:text> · </xsl:text>
        <time><xsl:value-of select="translate(substring(atom:published | atom:updated[not(../atom:published)], 1, 16), 'T', ' ')"/></time>
      </div>
      <xsl:if test="atom:summary">
        <p><xsl:call-template name="unescape"><xsl:with-param name="text" select="atom:summary"/></xsl:call-template></p>
      </xsl:if>
    </article>
  </xsl:template>

  <!--
    Our summaries and Atom titles are plain text escaped once as HTML (& < > " ').
    Undo exactly that, as text, so no markup from a feed is ever interpreted.
  -->
  <xsl:template name="unescape">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '&amp;')">
        <xsl:value-of select="substring-before($text, '&amp;')"/>
        <xsl:variable name="rest" select="substring-after($text, '&amp;')"/>
        <xsl:choose>
          <xsl:when test="starts-with($rest, 'amp;')">&amp;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'lt;')">&lt;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'gt;')">&gt;<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, 'quot;')">"<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 6)"/></xsl:call-template></xsl:when>
          <xsl:when test="starts-with($rest, '#39;')">'<xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template></xsl:when>
          <xsl:otherwise>&amp;<xsl:call-template name="unescape"><xsl:with-param name="text" select="$rest"/></xsl:call-template></xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
