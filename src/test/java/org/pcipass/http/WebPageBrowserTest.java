package org.pcipass.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.pcipass.testing.HostTrees.WS_UNKNOWN;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.pcipass.cli.Cli;

/**
 * The web page in a real browser (issue 12, acceptance b): Debian's chromium, headless, driven
 * through its chromedriver by Selenium, against a real server over the kernel simulator. It loads
 * the page with a token, filters by verdict, opens a device, runs a dry-run hide and sees the plan,
 * confirms it and sees the verdict change, and sees the 403 a viewer token gets. Screenshots go to
 * target/web-page/.
 */
class WebPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target/web-page");

    @TempDir
    Path tmp;

    private ApiHost h;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        if (!Cli.CI) {
            assumeThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER))
                    .as("chromium and chromium-driver are installed (./test installs them)").isTrue();
        }
        h = new ApiHost(tmp);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + tmp.resolve("chromium-profile"), "--window-size=1400,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, o);
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        Files.createDirectories(SHOTS);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (h != null) {
            h.close();
        }
    }

    private void shot(String name) throws Exception {
        File f = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private WebElement row(String address) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#devices tbody tr[data-address='" + address + "']")));
    }

    private void useToken(String token) {
        WebElement field = browser.findElement(By.id("token"));
        field.clear();
        field.sendKeys(token);
        browser.findElement(By.id("token-save")).click();
    }

    @Test
    void anAdminFiltersOpensADeviceSeesThePlanConfirmsItAndAViewerIsRefused() throws Exception {
        browser.get(h.server.url());
        useToken(h.admin);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("whoami"), "ops"));
        int all = row(WS_UNKNOWN).findElements(By.xpath("./ancestor::tbody/tr")).size();
        assertThat(all).isEqualTo(h.get("/api/devices", h.viewer).json().size());
        shot("1-devices");

        // filter by verdict: only assignable devices stay, and the device we want is one
        new Select(browser.findElement(By.id("filter-verdict"))).selectByValue("assignable");
        wait.until(d -> d.findElements(By.cssSelector("#devices tbody tr[data-address]")).stream()
                .filter(WebElement::isDisplayed).count() < all);
        List<WebElement> shown = browser.findElements(By.cssSelector("#devices tbody tr[data-address]")).stream()
                .filter(WebElement::isDisplayed).toList();
        assertThat(shown).isNotEmpty().allSatisfy(r -> assertThat(r.findElement(By.cssSelector("span.verdict"))
                .getAttribute("data-verdict")).isEqualTo("assignable"));
        assertThat(browser.findElement(By.id("device-count")).getText()).contains(shown.size() + " of " + all);

        // open the device
        row(WS_UNKNOWN).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("panel"), "data-address", WS_UNKNOWN));
        WebElement panel = browser.findElement(By.id("panel"));
        assertThat(panel.isDisplayed()).isTrue();
        assertThat(panel.getText()).contains(WS_UNKNOWN);

        // a dry run shows the plan and changes nothing
        String before = h.bindings();
        browser.findElement(By.id("action-hide")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("plan")));
        wait.until(d -> !d.findElements(By.cssSelector("#plan-steps li")).isEmpty());
        String steps = browser.findElement(By.id("plan-steps")).getText();
        assertThat(steps).contains("vfio-pci").contains(WS_UNKNOWN);
        assertThat(h.bindings()).as("the dry run changed nothing").isEqualTo(before);
        shot("2-plan");

        // confirm: applied, and the verdict changes on the page without a reload
        browser.findElement(By.id("plan-confirm")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "done"));
        assertThat(browser.findElement(By.id("message")).getAttribute("class")).contains("ok");
        assertThat(browser.findElement(By.id("message")).getText()).contains("hide " + WS_UNKNOWN);
        assertThat(h.sim.driverOf(WS_UNKNOWN)).isEqualTo("vfio-pci");
        new Select(browser.findElement(By.id("filter-verdict"))).selectByValue("");
        wait.until(d -> "ready".equals(d.findElement(By.cssSelector("#devices tbody tr[data-address='" + WS_UNKNOWN
                + "'] span.verdict")).getAttribute("data-verdict")));
        shot("3-done");

        // a viewer token: the change is refused with a 403 message, and nothing changes
        useToken(h.viewer);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("whoami"), "look"));
        row(WS_UNKNOWN).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("panel"), "data-address", WS_UNKNOWN));
        WebElement unhide = wait.until(ExpectedConditions.elementToBeClickable(By.id("action-unhide")));
        String hidden = h.bindings();
        unhide.click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "403"));
        assertThat(browser.findElement(By.id("message")).getAttribute("class")).contains("error");
        assertThat(browser.findElement(By.id("message")).getText()).contains("viewer");
        assertThat(h.bindings()).isEqualTo(hidden);
        shot("4-viewer-403");

        // the page ran without a Content-Security-Policy violation or a script error
        List<String> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).map(LogEntry::getMessage)
                .filter(m -> !m.contains("the server responded with a status of 4")) // the 403 itself
                .toList();
        assertThat(problems).as("browser console").isEmpty();
    }
}
